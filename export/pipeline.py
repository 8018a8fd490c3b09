"""``calle export``: checkpoints in, a checked Triton model repository out.

Steps: build the preset's checkpoints unless real ones are given, export the summarizer and the
diffusion pipeline to ONNX with parity checks, assemble the configs and code, check every config
against its graphs, and record what was exported in ``export.json`` so that a later run with the
same options and code can skip the work.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from export.config_check import check_repository
from export.diffusion import export_diffusion
from export.parity import ParityResult, require_parity, write_report
from export.presets import PRESETS
from export.repository import Flavour, assemble, template_root
from export.summarizer import GenerationSettings, export_summarizer

log = logging.getLogger(__name__)

MANIFEST = "export.json"
REPORT = "parity_report.json"


class ExportError(RuntimeError):
    """The repository could not be exported or failed its checks."""


@dataclass(frozen=True)
class ExportOptions:
    """What ``calle export`` was asked for.

    Attributes:
        output: The repository to write (replaced as a whole).
        preset: Preset whose checkpoints are built when no real one is given.
        summarizer: Hub id or local directory of a BART summarizer (overrides the preset).
        diffusion: Hub id or local directory of a diffusers SD pipeline (overrides the preset).
        flavour: ``portable`` (local Triton) or ``native`` (NGC container, GPUs).
        instances: Instance count per model name.
        fp16: Store graphs in float16 (GPU targets).
        tensorrt: Native flavour: TensorRT accelerator for the tensor models.
        seed: Seed of the preset's random weights.
        generation: The summarizer's decoding settings.
        checkpoints: Where preset checkpoints are built (default: beside ``output``).
    """

    output: Path = Path("build/model_repository")
    preset: str = "tiny"
    summarizer: str | None = None
    diffusion: str | None = None
    flavour: Flavour = Flavour.PORTABLE
    instances: dict[str, int] = field(default_factory=dict)
    fp16: bool = False
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
    """Hash of the export and model code, so an export made by older code is redone."""
    digest = hashlib.sha256()
    for root in (Path(__file__).parent, template_root()):
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in {".py", ".pbtxt", ".txt"}:
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def is_current(options: ExportOptions) -> bool:
    """Whether ``options.output`` already holds this exact export."""
    path = options.output / MANIFEST
    if not path.exists():
        return False
    try:
        return json.loads(path.read_text("utf-8")) == options.manifest()
    except json.JSONDecodeError:
        return False


@contextmanager
def _stage(bar: tqdm, name: str) -> Iterator[None]:
    bar.set_description(name)
    yield
    bar.update(1)


def run_export(options: ExportOptions, *, progress: bool = True) -> list[ParityResult]:
    """Export everything ``options`` asks for into ``options.output``.

    Returns:
        The parity results (also written to ``parity_report.json`` in the repository).

    Raises:
        ExportError: A graph failed parity or a config does not match its graph.
    """
    if options.preset not in PRESETS:
        raise ExportError(f"unknown preset '{options.preset}'; choose from {sorted(PRESETS)}")
    preset = PRESETS[options.preset]
    checkpoints = options.checkpoints or options.output.parent / "checkpoints" / options.preset
    output = options.output
    if output.exists():
        shutil.rmtree(output)
    output.mkdir(parents=True)
    results: list[ParityResult] = []
    with tqdm(total=5, disable=not progress, unit="step") as bar:
        with _stage(bar, "checkpoints"):
            summarizer = options.summarizer or preset.summarizer(
                checkpoints / "summarizer", seed=options.seed
            )
            diffusion = options.diffusion or preset.diffusion(
                checkpoints / "diffusion", seed=options.seed
            )
        with _stage(bar, "summarizer -> ONNX"):
            results += export_summarizer(
                summarizer, output, settings=options.generation, fp16=options.fp16
            )
        with _stage(bar, "diffusion -> ONNX"):
            results += export_diffusion(
                diffusion,
                output,
                fp16=options.fp16,
                default_steps=preset.diffusion_steps,
                progress=False,
            )
        with _stage(bar, "repository"):
            assemble(
                output,
                flavour=options.flavour,
                instances=options.instances,
                tensorrt=options.tensorrt,
            )
        with _stage(bar, "checks"):
            write_report(results, output / REPORT)
            try:
                require_parity(results)
            except Exception as exc:
                raise ExportError(f"{exc} (report: {output / REPORT})") from exc
            problems = check_repository(output)
            if problems:
                raise ExportError("config check failed:\n  " + "\n  ".join(problems))
    (output / MANIFEST).write_text(json.dumps(options.manifest(), indent=2) + "\n", "utf-8")
    log.info("model repository ready at %s", output)
    return results
