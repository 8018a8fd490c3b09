"""Benchmark: each exported graph on ONNX Runtime against the PyTorch eager module it came from.

Both run in this process on the same inputs, one after the other, with the same thread count,
so the ratio is meaningful on a shared, noisy machine; the raw milliseconds stand beside it.
Run with ``calle bench-graphs`` (``--preset small`` by default); prints a table and writes JSON.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from contract import tensors
from contract.repository import (
    TEXT_ENCODER,
    UNET,
    VAE_DECODER,
    diffusion_pipeline,
    graph_file,
)
from export.benchmarking import Column, median_seconds, render_table
from export.diffusion import (
    TextEncoderGraph,
    UNetGraph,
    VaeDecoderGraph,
    export_diffusion,
    load_pipeline,
    unet_static_shapes,
)
from export.options import ExportOptions, is_current
from export.pipeline import run_export
from export.presets import PRESETS
from export.versions import served_repository
from triton_models.diffusion_pipeline import PipelineSpec
from triton_models.onnx_session import create_session
from triton_models.tensor_engines import (
    BF16,
    ONNXRUNTIME,
    OPENVINO,
    EngineChoice,
    cpu_has_bf16,
    create_engine,
)

log = logging.getLogger(__name__)

PROMPT_TOKENS = 77


@dataclass(frozen=True)
class Measurement:
    """Median latencies of one graph at one batch size."""

    graph: str
    batch: int
    pytorch_ms: float
    onnxruntime_ms: float

    @property
    def speedup(self) -> float:
        """PyTorch time over ONNX Runtime time (> 1: ONNX Runtime is faster)."""
        return self.pytorch_ms / self.onnxruntime_ms


@dataclass
class _Case:
    graph: str
    module: torch.nn.Module
    onnx_file: Path
    input_names: list[str]
    make_inputs: Callable[[int], tuple[torch.Tensor, ...]]


def _median_ms(run: Callable[[], object], repeats: int) -> float:
    return median_seconds(run, repeats) * 1000


def _cases(repository: Path, checkpoints: Path) -> Iterator[_Case]:
    """The diffusion graphs (the summarizer is timed whole: :mod:`export.summarizer_benchmark`)."""
    generator = torch.Generator().manual_seed(0)
    pipeline = load_pipeline(checkpoints / "diffusion")
    spec = PipelineSpec.load(diffusion_pipeline(repository))
    side = spec.default_height // spec.vae_scale_factor

    def latents(batch: int) -> torch.Tensor:
        return torch.randn(batch, spec.latent_channels, side, side, generator=generator)

    def prompt(batch: int) -> tuple[torch.Tensor]:
        vocab = pipeline.text_encoder.config.vocab_size
        return (torch.randint(0, vocab, (batch, spec.text_max_length), generator=generator),)

    def unet(batch: int) -> tuple[torch.Tensor, ...]:
        embeddings = torch.randn(batch, spec.text_max_length, spec.hidden_size)
        return latents(batch), torch.full((batch,), 500.0), embeddings

    yield _Case(
        TEXT_ENCODER,
        TextEncoderGraph(pipeline.text_encoder),
        graph_file(repository, TEXT_ENCODER),
        [tensors.TEXT_ENCODER_INPUT],
        prompt,
    )
    yield _Case(
        UNET,
        UNetGraph(pipeline.unet),
        graph_file(repository, UNET),
        list(tensors.UNET_INPUTS),
        unet,
    )
    yield _Case(
        VAE_DECODER,
        VaeDecoderGraph(pipeline.vae),
        graph_file(repository, VAE_DECODER),
        [tensors.VAE_DECODER_INPUT],
        lambda batch: (latents(batch),),
    )


def run_benchmark(
    *, preset: str, batches: tuple[int, ...], repeats: int, workdir: Path
) -> list[Measurement]:
    """Export ``preset`` into ``workdir`` (if not already there) and time every graph."""
    options = ExportOptions(output=workdir / "model_repository", preset=preset)
    if not is_current(options):
        run_export(options)
    checkpoints = workdir / "checkpoints" / preset
    threads = torch.get_num_threads()
    measurements = []
    for case in _cases(served_repository(options.output), checkpoints):
        session = create_session(case.onnx_file, intra_op_threads=threads)
        module = case.module.eval()
        for batch in batches:
            inputs = case.make_inputs(batch)
            feeds = {n: t.numpy() for n, t in zip(case.input_names, inputs, strict=True)}
            feeds = {i.name: feeds[i.name] for i in session.get_inputs()}
            with torch.no_grad():
                torch_ms = _median_ms(lambda m=module, x=inputs: m(*x), repeats)
            ort_ms = _median_ms(lambda s=session, f=feeds: s.run(None, f), repeats)
            measurement = Measurement(case.graph, batch, torch_ms, ort_ms)
            log.info("%s batch %d: %.1f ms vs %.1f ms", case.graph, batch, torch_ms, ort_ms)
            measurements.append(measurement)
    return measurements


GRAPH_COLUMNS: tuple[Column[Measurement], ...] = (
    Column("graph", 22, lambda m: m.graph, left=True),
    Column("batch", 6, lambda m: m.batch),
    Column("PyTorch ms", 13, lambda m: m.pytorch_ms, ".1f"),
    Column("ONNX RT ms", 13, lambda m: m.onnxruntime_ms, ".1f"),
    Column("speedup", 10, lambda m: m.speedup, ".2f", "x"),
)


def format_table(measurements: list[Measurement]) -> str:
    """A plain-text table of the measurements."""
    return render_table(GRAPH_COLUMNS, measurements)


def write_results(measurements: list[Measurement], path: Path, **context: object) -> None:
    """Write the measurements and the run's context as JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [{**asdict(m), "speedup": m.speedup} for m in measurements]
    document = {"context": context, "threads": torch.get_num_threads(), "results": rows}
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class UnetEngineRow:
    """One engine's guided unet step (two rows) against PyTorch and the core's fp32 peak."""

    engine: str
    threads: int
    ms: float
    pytorch_ms: float
    gflop: float
    peak_gflops: float

    @property
    def gflops(self) -> float:
        """Achieved GFLOP/s."""
        return self.gflop / self.ms * 1000

    @property
    def of_peak(self) -> float:
        """Share of ``threads`` x the one-core fp32 peak."""
        return self.gflops / (self.peak_gflops * self.threads)


def run_unet_engines(
    *, preset: str, threads: int, repeats: int, workdir: Path, peak_gflops: float
) -> list[UnetEngineRow]:
    """Time one guided unet step on every engine/precision this CPU offers.

    The preset's diffusion pipeline is exported twice, as served for each engine: ONNX Runtime
    with its fused attention, OpenVINO without (``workdir/unet-<engine>``); OpenVINO runs with
    dynamic shapes and compiled for the step's static shape. FLOPs are counted on the PyTorch
    module with ``torch.utils.flop_counter``.
    """
    checkpoints = workdir / "checkpoints" / preset / "diffusion"
    if not (checkpoints / "model_index.json").exists():
        PRESETS[preset].diffusion(checkpoints, seed=0)
    exports = {
        EngineChoice(ONNXRUNTIME): workdir / "unet-onnxruntime",
        EngineChoice(OPENVINO): workdir / "unet-openvino",
    }
    for choice, repository in exports.items():
        if not graph_file(repository, UNET).exists():
            export_diffusion(checkpoints, repository, engines={UNET: choice}, fuse_attention=True)
    pipeline = load_pipeline(checkpoints)
    spec = PipelineSpec.load(diffusion_pipeline(exports[EngineChoice()]))
    generator = torch.Generator().manual_seed(0)
    side = spec.default_height // spec.vae_scale_factor
    inputs = (
        torch.randn(2, spec.latent_channels, side, side, generator=generator),
        torch.full((2,), 500.0),
        torch.randn(2, spec.text_max_length, spec.hidden_size, generator=generator),
    )
    feeds = {name: t.numpy() for name, t in zip(tensors.UNET_INPUTS, inputs, strict=True)}
    module = UNetGraph(pipeline.unet).eval()
    torch.set_num_threads(threads)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        module(*inputs)
    gflop = counter.get_total_flops() / 1e9
    with torch.no_grad():
        pytorch_ms = _median_ms(lambda: module(*inputs), repeats)
    choices = list(exports.items())
    if cpu_has_bf16():
        choices.append((EngineChoice(OPENVINO, BF16), exports[EngineChoice(OPENVINO)]))
    static = unet_static_shapes(spec, (2,))  # compiled for the guided step's two rows
    choices += [
        (replace(choice, static=static), repository)
        for choice, repository in choices
        if choice.engine == OPENVINO
    ]
    rows = []
    for choice, repository in choices:
        engine = create_engine(graph_file(repository, UNET), choice, threads=threads)
        ms = _median_ms(lambda e=engine: e.run([tensors.UNET_OUTPUT], feeds), repeats)
        rows.append(UnetEngineRow(str(choice), threads, ms, pytorch_ms, gflop, peak_gflops))
        log.info("unet %s, %d thread(s): %.1f ms per guided step", choice, threads, ms)
    return rows


UNET_COLUMNS: tuple[Column[UnetEngineRow], ...] = (
    Column("unet engine", 36, lambda r: r.engine, left=True),
    Column("threads", 8, lambda r: r.threads),
    Column("ms/step", 10, lambda r: r.ms, ".1f"),
    Column("vs PyTorch", 12, lambda r: r.pytorch_ms / r.ms, ".2f", "x"),
    Column("GFLOP/s", 10, lambda r: r.gflops, ".1f"),
    Column("of peak", 9, lambda r: r.of_peak, ".0%"),
)


def format_unet_table(rows: list[UnetEngineRow]) -> str:
    """A plain-text table of the unet engine rows."""
    note = (
        f"guided step = 2 rows, {rows[0].gflop:.1f} GFLOP; peak {rows[0].peak_gflops:g} GFLOP/s"
        f" per core (fp32); PyTorch eager {rows[0].pytorch_ms:.1f} ms"
        if rows
        else "no rows"
    )
    return render_table(UNET_COLUMNS, rows, note)
