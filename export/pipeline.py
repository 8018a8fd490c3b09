"""``calle export``: checkpoints in, a checked Triton model repository out.

Steps: build the preset's checkpoints unless real ones are given, export the summarizer and the
diffusion pipeline to ONNX with parity checks, assemble the configs and code, check every config
against its graphs, and record what was exported in ``export.json`` so that a later run with the
same options and code can skip the work.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from tqdm import tqdm

from export.config_check import check_repository
from export.diffusion import (
    DEFAULT_GUIDANCE_SCALE,
    DEFAULT_SCHEDULER,
    DiffusionSource,
    export_diffusion,
    load_pipeline,
)
from export.diffusion_image_check import check_images
from export.engines import EngineSelectionError, choose_engines
from export.options import MANIFEST, ExportOptions, is_current
from export.parity import Check, require_parity, write_report
from export.presets import PRESETS
from export.repository import Flavour, assemble
from export.summarizer import export_summarizer
from model_repository.diffusion_pipeline import SCHEDULERS

log = logging.getLogger(__name__)

REPORT = "parity_report.json"


class ExportError(RuntimeError):
    """The repository could not be exported or failed its checks."""


@contextmanager
def _stage(bar: tqdm, name: str) -> Iterator[None]:
    bar.set_description(name)
    yield
    bar.update(1)


def run_export(options: ExportOptions, *, progress: bool = True) -> list[Check]:
    """Export everything ``options`` asks for into ``options.output``.

    Returns:
        The parity results (also written to ``parity_report.json`` in the repository).

    Raises:
        ExportError: A graph failed parity, the image check failed, an engine cannot serve,
            or a config does not match its graph.
    """
    if options.preset not in PRESETS:
        raise ExportError(f"unknown preset '{options.preset}'; choose from {sorted(PRESETS)}")
    if options.scheduler is not None and options.scheduler not in SCHEDULERS:
        raise ExportError(
            f"unknown scheduler '{options.scheduler}'; choose from {', '.join(sorted(SCHEDULERS))}"
        )
    try:
        engines = choose_engines(options.engines, flavour=options.flavour, fp16=options.fp16)
    except EngineSelectionError as exc:
        raise ExportError(str(exc)) from exc
    preset = PRESETS[options.preset]
    checkpoints = options.checkpoints or options.output.parent / "checkpoints" / options.preset
    output = options.output
    if output.exists():
        shutil.rmtree(output)
    output.mkdir(parents=True)
    results: list[Check] = []
    with tqdm(total=6, disable=not progress, unit="step") as bar:
        with _stage(bar, "checkpoints"):
            summarizer = options.summarizer or preset.summarizer(
                checkpoints / "summarizer", seed=options.seed
            )
            diffusion = DiffusionSource(
                str(
                    options.diffusion
                    or preset.diffusion(checkpoints / "diffusion", seed=options.seed)
                ),
                lora=options.lora,
                lora_scale=options.lora_scale,
                tiny_vae=options.tiny_vae,
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
                progress=False,
            )
        with _stage(bar, "diffusion image check"):
            results.append(check_images(load_pipeline(diffusion), output, engines))
        with _stage(bar, "repository"):
            assemble(
                output,
                flavour=options.flavour,
                instances=options.instances,
                tensorrt=options.tensorrt,
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
    (output / MANIFEST).write_text(json.dumps(options.manifest(), indent=2) + "\n", "utf-8")
    log.info("model repository ready at %s", output)
    return results


def ensure_exported(options: ExportOptions, *, progress: bool = True) -> bool:
    """Export unless ``options.output`` already holds this export; returns whether it exported."""
    if is_current(options):
        log.info("%s is up to date", options.output)
        return False
    run_export(options, progress=progress)
    return True
