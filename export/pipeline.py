"""``calle export``: checkpoints in, a checked Triton model repository out.

Steps: build the preset's checkpoints unless real ones are given, export the summarizer (to
CTranslate2) and the diffusion pipeline (to ONNX) with parity checks, assemble the configs and
code, check every config against its graphs, and record what was exported in ``export.json``
so that a later run with the same options and code can skip the work.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from tqdm import tqdm

from export.config_check import check_repository
from export.diffusion import export_diffusion
from export.options import MANIFEST, ExportOptions, is_current
from export.parity import Check, require_parity, write_report
from export.presets import PRESETS
from export.repository import SUMMARIZER, Flavour, assemble
from export.summarizer import export_summarizer

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
        The parity and fidelity checks (also written to ``parity_report.json``).

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
    results: list[Check] = []
    with tqdm(total=5, disable=not progress, unit="step") as bar:
        with _stage(bar, "checkpoints"):
            summarizer = options.summarizer or preset.summarizer(
                checkpoints / "summarizer", seed=options.seed
            )
            diffusion = options.diffusion or preset.diffusion(
                checkpoints / "diffusion", seed=options.seed
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
            results += export_diffusion(
                diffusion,
                output,
                fp16=options.fp16,
                # The portable flavour runs float32 graphs on ONNX Runtime's CPU provider, where
                # the fused kernels were measured; native graphs may run under TensorRT, which
                # does not know them.
                fuse_attention=options.flavour is Flavour.PORTABLE and not options.fp16,
                default_steps=preset.diffusion_steps,
                progress=False,
            )
        with _stage(bar, "repository"):
            assemble(
                output,
                flavour=options.flavour,
                instances=options.instances,
                tensorrt=options.tensorrt,
                parameters={SUMMARIZER: summarizer_export.parameters},
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
