"""What an export is asked for, and how to tell whether a repository already holds it.

Kept free of torch and the exporters so that serving commands can check an export cheaply.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import contract
from contract.repository import MANIFEST
from export.repository import Flavour, template_root
from export.versions import PASSED, read_verdict, served_repository


@dataclass(frozen=True)
class GenerationSettings:
    """The summarizer's decoding settings, first-sentence cut and source budget.

    Defaults follow the original service; the decoding settings go into the exported
    ``GenerationConfig``.
    """

    num_beams: int = 5
    max_length: int = 64
    no_repeat_ngram_size: int = 3
    first_sentence_only: bool = True
    max_source_tokens: int = 512


@dataclass(frozen=True)
class ExportOptions:
    """What ``calle export`` was asked for.

    Attributes:
        output: Where the export goes: a directory or mount point that is never deleted; each
            export is staged in ``output/versions/<id>`` and ``output/current`` names the one
            that passed last (:mod:`export.versions`).
        preset: Preset whose checkpoints are built when no real one is given.
        summarizer: Hub id or local directory of a BART summarizer (overrides the preset).
        diffusion: Hub id or local directory of a diffusers SD pipeline (overrides the preset).
        flavour: ``portable`` (local Triton) or ``native`` (NGC container, GPUs).
        instances: Instance count per model name.
        fp16: Store graphs in float16 (GPU targets).
        summarizer_quantization: Weights of the CTranslate2 summarizer (``int8`` on CPU;
            ``int8_float16``/``float16`` for GPUs; ``float32``). Float32 is always checked.
        lora: Hub id or local directory of a LoRA fused into the diffusion pipeline (LCM-LoRA,
            Hyper-SD).
        lora_scale: Weight of the fused LoRA.
        tiny_vae: Hub id or local directory of an ``AutoencoderTiny`` (TAESD) exported as
            ``vae_decoder`` in place of the pipeline's VAE.
        scheduler: Default scheduler of the served pipeline (``None``: ``dpmsolver++``).
        steps: Default denoising steps (``None``: the preset's).
        guidance_scale: Default guidance scale (``None``: 7.5).
        engines: Engine and precision per tensor model, e.g. ``{"unet": "openvino/bf16"}``;
            absent or ``"auto"``: the default for the flavour and this CPU (:mod:`export.engines`).
        unet_static_batches: Batch sizes an OpenVINO unet is compiled for (``1,2,4``),
            ``none``, or ``auto``: as many as fit a memory budget (:mod:`export.engines`).
        tensorrt: Native flavour: TensorRT accelerator for the tensor models.
        seed: Seed of the preset's random weights.
        generation: The summarizer's decoding settings.
        checkpoints: Where preset checkpoints are built and hub checkpoints downloaded
            (default: ``checkpoints/`` beside ``output``).
    """

    output: Path = Path("build/model_repository")
    preset: str = "tiny"
    summarizer: str | None = None
    diffusion: str | None = None
    flavour: Flavour = Flavour.PORTABLE
    instances: dict[str, int] = field(default_factory=dict)
    fp16: bool = False
    summarizer_quantization: str = "int8"
    lora: str | None = None
    lora_scale: float = 1.0
    tiny_vae: str | None = None
    scheduler: str | None = None
    steps: int | None = None
    guidance_scale: float | None = None
    engines: dict[str, str] = field(default_factory=dict)
    unet_static_batches: str = "auto"
    tensorrt: bool = False
    seed: int = 0
    generation: GenerationSettings = field(default_factory=GenerationSettings)
    checkpoints: Path | None = None

    def manifest(self) -> dict[str, object]:
        """What identifies the export: the options (not paths) and a hash of the code."""
        options = dataclasses.asdict(self)
        for key in ("output", "checkpoints"):
            options.pop(key)
        options["flavour"] = self.flavour.value
        return {"options": options, "code": code_fingerprint()}


def code_fingerprint() -> str:
    """Hash of the export, contract and model code, so an export made by older code is redone.

    The contract is in because the exported ``model.py`` files import it.
    """
    digest = hashlib.sha256()
    for root in (Path(__file__).parent, Path(contract.__file__).parent, template_root()):
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in {".py", ".pbtxt", ".txt"}:
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def is_current(options: ExportOptions) -> bool:
    """Whether ``options.output`` already serves this exact export, and it passed."""
    record = read_verdict(served_repository(options.output))
    if record is None or record.get("verdict") != PASSED:
        return False
    return {key: record.get(key) for key in ("options", "code")} == options.manifest()


def exported_by_other_code(repository: Path) -> bool:
    """Whether ``repository`` was exported by a different version of the export/model code.

    Its ``model.py`` files import the installed ``triton_models`` package, so an export from
    older code may no longer load: serving warns and ``calle export`` redoes it.
    """
    repository = served_repository(repository)
    if not (repository / MANIFEST).exists():
        return False
    record = read_verdict(repository)
    return record is None or record.get("code") != code_fingerprint()
