"""``calle export``: checkpoints in, a checked Triton model repository out.

Steps: build the preset's checkpoints unless real ones are given, export the summarizer (to
CTranslate2) and the diffusion pipeline (to ONNX or OpenVINO) with parity checks and an
end-to-end image check, assemble the configs and code, check every config against its graphs,
and record what was exported, with the verdict, in ``export.json`` (written last) so that a
later run with the same options and code can skip the work. The work happens in a new version
folder of the output; only an export that passed becomes ``current`` (:mod:`export.versions`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from tqdm import tqdm

from contract.repository import CURRENT, SUMMARIZER, UNET
from export.config_check import check_repository
from export.diffusion import (
    DEFAULT_GUIDANCE_SCALE,
    DEFAULT_SCHEDULER,
    DiffusionSource,
    export_diffusion,
    load_pipeline,
)
from export.diffusion_image_check import check_images
from export.engines import (
    EngineSelectionError,
    choose_engines,
    choose_static_batches,
    parse_static_batches,
)
from export.onnx_graph import quiet_exporter_loggers
from export.options import ExportOptions, is_current
from export.parity import Check, require_parity, write_report
from export.presets import PRESETS
from export.repository import Flavour, assemble
from export.summarizer import export_summarizer
from export.versions import new_version, switch, write_verdict
from triton_models.diffusion_pipeline import SCHEDULERS
from triton_models.tensor_engines import EngineChoice

log = logging.getLogger(__name__)

REPORT = "parity_report.json"


class ExportError(RuntimeError):
    """The repository could not be exported or failed its checks."""


@contextmanager
def _stage(bar: tqdm, name: str) -> Iterator[None]:
    bar.set_description(name)
    yield
    bar.update(1)


def _local_checkpoint(source: str, checkpoints: Path) -> str:
    """``source`` itself if it is a local directory, else its hub snapshot under ``checkpoints``.

    Downloading here (not through each loader's default cache) puts hub checkpoints where
    ``--checkpoints`` says, which in Kubernetes is a writable volume under a read-only root.
    """
    if Path(source).is_dir():
        return source
    from huggingface_hub import snapshot_download

    log.info("downloading %s into %s", source, checkpoints / "hub")
    return snapshot_download(source, cache_dir=checkpoints / "hub")


def run_export(options: ExportOptions, *, progress: bool = True) -> list[Check]:
    """Export everything ``options`` asks for into a new version of ``options.output``.

    ``options.output`` is created if missing and never deleted; ``output/current`` switches to
    the new version only once it passed every check. A failed version keeps its files and an
    ``export.json`` with ``"verdict": "failed"`` and the reason.

    Returns:
        The parity and fidelity checks (also written to ``parity_report.json``).

    Raises:
        ExportError: A graph failed parity, the image check failed, an engine cannot serve,
            or a config does not match its graph.
    """
    quiet_exporter_loggers()
    if options.preset not in PRESETS:
        raise ExportError(f"unknown preset '{options.preset}'; choose from {sorted(PRESETS)}")
    if options.scheduler is not None and options.scheduler not in SCHEDULERS:
        raise ExportError(
            f"unknown scheduler '{options.scheduler}'; choose from {', '.join(sorted(SCHEDULERS))}"
        )
    try:
        engines = choose_engines(options.engines, flavour=options.flavour, fp16=options.fp16)
        static_batches = parse_static_batches(options.unet_static_batches)
        if static_batches:  # refuse before hours of export, not after
            choose_static_batches(static_batches, engines[UNET], weight_bytes=0)
    except EngineSelectionError as exc:
        raise ExportError(str(exc)) from exc
    try:
        options.output.mkdir(parents=True, exist_ok=True)
        version = new_version(options.output)
    except OSError as exc:
        raise ExportError(
            f"cannot write to {options.output} as uid {os.getuid()}: {exc}; the output must be "
            "writable by this user (in Kubernetes: k8s/README.md, 'Volume permissions')"
        ) from exc
    log.info("staging the export in %s", version)
    try:
        results = _export_into(options, version, engines, static_batches, progress=progress)
    except BaseException as exc:
        write_verdict(version, options.manifest(), error=f"{type(exc).__name__}: {exc}")
        raise
    write_verdict(version, options.manifest(), error=None)
    switch(options.output, version)
    log.info("model repository ready at %s (%s)", options.output / CURRENT, version.name)
    return results


def _export_into(
    options: ExportOptions,
    output: Path,
    engines: Mapping[str, EngineChoice],
    static_batches: tuple[int, ...] | None,
    *,
    progress: bool,
) -> list[Check]:
    """The export steps, writing the repository into ``output`` (an empty version folder)."""
    preset = PRESETS[options.preset]
    checkpoints = options.checkpoints or options.output.parent / "checkpoints" / options.preset
    results: list[Check] = []
    with tqdm(total=6, disable=not progress, unit="step") as bar:
        with _stage(bar, "checkpoints"):
            summarizer = (
                _local_checkpoint(options.summarizer, checkpoints)
                if options.summarizer
                else preset.summarizer(checkpoints / "summarizer", seed=options.seed)
            )
            diffusion = DiffusionSource(
                _local_checkpoint(options.diffusion, checkpoints)
                if options.diffusion
                else str(preset.diffusion(checkpoints / "diffusion", seed=options.seed)),
                lora=options.lora,
                lora_scale=options.lora_scale,
                tiny_vae=options.tiny_vae,
            )
        with _stage(bar, "summarizer -> CTranslate2"):
            summarizer_export = export_summarizer(
                summarizer,
                output,
                settings=options.generation,
                quantization=options.summarizer_quantization,
            )
            results += summarizer_export.checks
        with _stage(bar, "diffusion -> ONNX"):
            diffusion_export = export_diffusion(
                diffusion,
                output,
                fp16=options.fp16,
                engines=engines,
                # The portable flavour runs float32 graphs on ONNX Runtime's CPU provider, where
                # the fused kernels were measured; native graphs may run under TensorRT, which
                # does not know them.
                fuse_attention=options.flavour is Flavour.PORTABLE and not options.fp16,
                default_steps=options.steps or preset.diffusion_steps,
                default_scheduler=options.scheduler or DEFAULT_SCHEDULER,
                default_guidance_scale=(
                    DEFAULT_GUIDANCE_SCALE
                    if options.guidance_scale is None
                    else options.guidance_scale
                ),
                unet_static_batches=static_batches,
                progress=False,
            )
            engines = diffusion_export.engines
            results += diffusion_export.parity
        with _stage(bar, "diffusion image check"):
            results.append(check_images(load_pipeline(diffusion), output, engines))
        with _stage(bar, "repository"):
            assemble(
                output,
                flavour=options.flavour,
                instances=options.instances,
                tensorrt=options.tensorrt,
                parameters={SUMMARIZER: summarizer_export.parameters},
                engines=engines,
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
    return results


def ensure_exported(options: ExportOptions, *, progress: bool = True) -> bool:
    """Export unless ``options.output`` already holds this export; returns whether it exported."""
    if is_current(options):
        log.info("%s is up to date", options.output)
        return False
    run_export(options, progress=progress)
    return True
