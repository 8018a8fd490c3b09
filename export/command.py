"""``calle export`` and ``calle bench-graphs``.

Only argument parsing lives here; the work is imported lazily so that other subcommands do not
pay for importing torch.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from contract.repository import DEFAULT_ROOT

log = logging.getLogger(__name__)

TAESD = "madebyollin/taesd"  # the tiny VAE decoder trained for SD 1.x latents


def _instances(text: str) -> dict[str, int]:
    """Parse ``unet=2,diffusion=4``."""
    counts = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, count = item.partition("=")
        if not sep or not count.isdigit() or int(count) < 1:
            raise argparse.ArgumentTypeError(f"expected MODEL=COUNT (COUNT >= 1), got '{item}'")
        counts[name] = int(count)
    return counts


def _engines(text: str) -> dict[str, str]:
    """Parse ``unet=openvino/bf16,vae_decoder=onnxruntime`` (checked by export.engines)."""
    engines = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, engine = item.partition("=")
        if not sep or not engine:
            raise argparse.ArgumentTypeError(f"expected MODEL=ENGINE[/PRECISION], got '{item}'")
        engines[name] = engine
    return engines


def register(subparsers: Any, *, default_output: Callable[[], Path] = lambda: DEFAULT_ROOT) -> None:
    """Add ``export`` and ``bench-graphs`` to ``calle``'s subcommands.

    Args:
        subparsers: The ``calle`` parser's subcommands.
        default_output: Where ``export`` writes without ``--output``, asked when the command
            runs (``calle`` passes the repository its Triton serves; export sits below it).
    """
    export = subparsers.add_parser("export", help="export checkpoints into a Triton repository")
    export.add_argument(
        "--output",
        type=Path,
        help="directory or mount point to export into (never deleted): the export goes to "
        "OUTPUT/versions/<id>, and OUTPUT/current names it once it passed its checks",
    )
    export.add_argument(
        "--checkpoints",
        type=Path,
        help="where preset checkpoints are built and hub checkpoints downloaded "
        "(default: checkpoints/ beside OUTPUT)",
    )
    export.add_argument("--preset", default="tiny", help="tiny (default) or small")
    export.add_argument("--summarizer", help="BART summarizer: hub id or local directory")
    export.add_argument("--diffusion", help="diffusers SD pipeline: hub id or local directory")
    export.add_argument("--flavour", choices=["portable", "native"], default="portable")
    export.add_argument("--instances", type=_instances, default={}, help="e.g. unet=2,diffusion=4")
    export.add_argument("--fp16", action="store_true", help="float16 graphs (GPU targets)")
    export.add_argument(
        "--lora", help="LoRA to fuse into the diffusion pipeline (LCM-LoRA, Hyper-SD)"
    )
    export.add_argument("--lora-scale", type=float, default=1.0, help="weight of the fused LoRA")
    export.add_argument(
        "--vae-decoder",
        choices=["vae", "taesd"],
        default="vae",
        help="decoder to export: the pipeline's VAE or a tiny AutoencoderTiny (--taesd)",
    )
    export.add_argument(
        "--taesd", default=TAESD, help=f"AutoencoderTiny: hub id or local directory ({TAESD})"
    )
    export.add_argument("--scheduler", help="default scheduler (e.g. lcm for LCM-LoRA)")
    export.add_argument("--steps", type=int, help="default denoising steps")
    export.add_argument("--guidance-scale", type=float, help="default guidance scale")
    export.add_argument(
        "--engines",
        type=_engines,
        default={},
        help="engine/precision per tensor model, e.g. unet=openvino/bf16,text_encoder=onnxruntime"
        " (engines onnxruntime, openvino; precisions f32, bf16; default: auto for this CPU)",
    )
    export.add_argument(
        "--unet-static-batches",
        default="auto",
        help="batch sizes an OpenVINO unet is compiled for at the default size, e.g. 1,2,4;"
        " none; or auto (as many as a 4 GiB budget per instance holds)",
    )
    export.add_argument("--tensorrt", action="store_true", help="native: TensorRT accelerator")
    export.add_argument(
        "--summarizer-quantization",
        choices=["int8", "float32", "int8_float16", "float16"],
        default="int8",
        help="CTranslate2 weights of the summarizer (int8 for CPUs; *float16 for GPUs)",
    )
    export.add_argument("--seed", type=int, default=0, help="seed of preset weights")
    export.add_argument("--num-beams", type=int, default=5)
    export.add_argument("--max-length", type=int, default=64)
    export.add_argument("--no-repeat-ngram-size", type=int, default=3)
    export.add_argument("--max-source-tokens", type=int, default=512)
    export.add_argument("--if-needed", action="store_true", help="skip if already exported")
    export.set_defaults(run=run_export_command, default_output=default_output)

    bench = subparsers.add_parser(
        "bench-graphs",
        help="time each exported graph on ONNX Runtime against PyTorch eager, and whole "
        "summaries on CTranslate2 against PyTorch generate",
    )
    bench.add_argument("--preset", default="small", help="small (default) or tiny")
    bench.add_argument("--batch", type=int, nargs="+", default=[1, 4], help="batch sizes")
    bench.add_argument("--repeats", type=int, default=10, help="timed runs per point")
    bench.add_argument("--workdir", type=Path, default=Path("build/bench"), help="exports go here")
    bench.add_argument(
        "--output", type=Path, help="result JSON (default WORKDIR/graphs-PRESET.json)"
    )
    bench.add_argument(
        "--summarizer-only", action="store_true", help="skip the diffusion graphs (no full export)"
    )
    bench.add_argument(
        "--summarizer-batch", type=int, nargs="+", default=[1, 4, 8], help="summaries per call"
    )
    bench.add_argument(
        "--summarizer-threads", type=int, nargs="+", default=[1, 2], help="CPU threads"
    )
    bench.add_argument(
        "--summarizer-repeats", type=int, default=2, help="timed runs per summarizer point"
    )
    bench.add_argument(
        "--unet-engines",
        action="store_true",
        help="instead: one guided unet step per engine/precision, with GFLOP/s against the peak",
    )
    bench.add_argument("--threads", type=int, default=1, help="--unet-engines: engine threads")
    bench.add_argument(
        "--peak-gflops",
        type=float,
        default=89.0,
        help="--unet-engines: one core's fp32 matmul peak (measured: 89 on this machine class)",
    )
    bench.set_defaults(run=run_bench_graphs)


def run_export_command(args: argparse.Namespace) -> int:
    """``calle export``; exits 1 with the reason when export or its checks fail."""
    from export.options import ExportOptions, GenerationSettings
    from export.pipeline import ExportError, ensure_exported, run_export
    from export.repository import Flavour

    options = ExportOptions(
        output=args.output or args.default_output(),
        preset=args.preset,
        summarizer=args.summarizer,
        diffusion=args.diffusion,
        flavour=Flavour(args.flavour),
        instances=args.instances,
        fp16=args.fp16,
        summarizer_quantization=args.summarizer_quantization,
        lora=args.lora,
        lora_scale=args.lora_scale,
        tiny_vae=args.taesd if args.vae_decoder == "taesd" else None,
        scheduler=args.scheduler,
        steps=args.steps,
        guidance_scale=args.guidance_scale,
        engines=args.engines,
        unet_static_batches=args.unet_static_batches,
        tensorrt=args.tensorrt,
        seed=args.seed,
        checkpoints=args.checkpoints,
        generation=GenerationSettings(
            num_beams=args.num_beams,
            max_length=args.max_length,
            no_repeat_ngram_size=args.no_repeat_ngram_size,
            max_source_tokens=args.max_source_tokens,
        ),
    )
    try:
        if args.if_needed:
            ensure_exported(options)
        else:
            run_export(options)
    except ExportError as exc:
        log.error("export failed: %s", exc)
        return 1
    return 0


def run_bench_graphs(args: argparse.Namespace) -> int:
    """``calle bench-graphs``: print the tables and write the JSON files."""
    import json

    from export.onnx_graph import quiet_exporter_loggers

    quiet_exporter_loggers()

    if args.unet_engines:
        return _run_unet_engines(args)
    from export.benchmark import format_table, run_benchmark, write_results
    from export.presets import PRESETS
    from export.summarizer_benchmark import (
        format_summary_table,
        run_summarizer_benchmark,
        timings_json,
    )

    workdir = args.workdir / args.preset
    if not args.summarizer_only:
        measurements = run_benchmark(
            preset=args.preset,
            batches=tuple(args.batch),
            repeats=args.repeats,
            workdir=workdir,
        )
        sys.stdout.write(format_table(measurements) + "\n")
        output = args.output or args.workdir / f"graphs-{args.preset}.json"
        write_results(measurements, output, preset=args.preset, repeats=args.repeats)
        log.info("results written to %s", output)
    checkpoint = workdir / "checkpoints" / args.preset / "summarizer"
    if not (checkpoint / "config.json").exists():
        PRESETS[args.preset].summarizer(checkpoint, seed=0)
    timings = run_summarizer_benchmark(
        checkpoint,
        workdir / "summarizer-bench",
        batches=args.summarizer_batch,
        threads=args.summarizer_threads,
        repeats=args.summarizer_repeats,
    )
    sys.stdout.write(format_summary_table(timings) + "\n")
    summary_output = args.workdir / f"summarizer-{args.preset}.json"
    summary_output.parent.mkdir(parents=True, exist_ok=True)
    document = {"preset": args.preset, "repeats": args.summarizer_repeats}
    document["results"] = timings_json(timings)
    summary_output.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    log.info("summarizer results written to %s", summary_output)
    return 0


def _run_unet_engines(args: argparse.Namespace) -> int:
    import dataclasses
    import json

    from export.benchmark import format_unet_table, run_unet_engines

    rows = run_unet_engines(
        preset=args.preset,
        threads=args.threads,
        repeats=args.repeats,
        workdir=args.workdir / args.preset,
        peak_gflops=args.peak_gflops,
    )
    sys.stdout.write(format_unet_table(rows) + "\n")
    output = args.output or args.workdir / f"unet-engines-{args.preset}-t{args.threads}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    results = [{**dataclasses.asdict(r), "gflops": r.gflops, "of_peak": r.of_peak} for r in rows]
    output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    log.info("results written to %s", output)
    return 0
