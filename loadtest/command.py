"""``calle loadtest`` and ``calle benchmark`` (also ``python -m loadtest loadtest|benchmark``).

``loadtest`` runs a scenario headless against any gateway (local or a Kubernetes URL), writes
Locust's CSV and HTML reports and exits non-zero when a threshold is crossed: the check
operators run before a release. ``benchmark`` measures our stack against the single-process
baseline on this machine and prints a table, with JSON and a PNG chart beside it.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from loadtest.headless import run_seconds
from loadtest.scenarios import scenario_names
from loadtest.shapes import shape_names
from loadtest.thresholds import Thresholds

logger = logging.getLogger(__name__)

SYSTEM_CHOICES = ("reference", "peer", "baseline", "ours")


def _stamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def _p95_limit(text: str) -> str:
    """One ``NAME=MS`` item, checked now so that a typo fails before any load is sent."""
    try:
        Thresholds.parse(None, text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return text


def _ratio(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a ratio between 0 and 1, got {text}")
    return value


def _timespan(text: str) -> str:
    try:
        run_seconds(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return text


def _seconds(text: str) -> int:
    try:
        return run_seconds(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _instances(text: str) -> dict[str, int]:
    """``unet=1,diffusion=2``."""
    counts = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, count = item.partition("=")
        if not sep or not count.isdigit() or int(count) < 1:
            raise argparse.ArgumentTypeError(f"expected MODEL=COUNT (COUNT >= 1), got {item!r}")
        counts[name] = int(count)
    return counts


def register(subparsers: Any) -> None:
    """Add ``loadtest`` and ``benchmark`` to a command's subparsers (handlers in ``run``)."""
    loadtest = subparsers.add_parser(
        "loadtest",
        help="run a Locust scenario headless against a gateway, with pass/fail thresholds",
        description=run_loadtest.__doc__,
    )
    loadtest.add_argument("--host", required=True, help="gateway base URL, e.g. http://...:8080")
    loadtest.add_argument(
        "--scenario", choices=scenario_names(), default="chat_images", help="chat_images"
    )
    loadtest.add_argument("--users", type=int, default=4, help="peak concurrent users (4)")
    loadtest.add_argument("--spawn-rate", type=float, default=1.0, help="users started per s (1)")
    loadtest.add_argument("--run-time", type=_timespan, default="60s", help="e.g. 60s, 5m (60s)")
    loadtest.add_argument("--shape", choices=shape_names(), help="load shape, e.g. step_load")
    loadtest.add_argument(
        "--max-fail-ratio",
        type=_ratio,
        default=0.01,
        help="fail above this share of failed requests (0.01)",
    )
    loadtest.add_argument(
        "--max-p95",
        type=_p95_limit,
        action="append",
        default=[],
        metavar="NAME=MS",
        help="fail when an entry's p95 exceeds MS milliseconds; NAME is an entry such as "
        "time-to-summary, '<type> <name>' or '*' (repeatable)",
    )
    loadtest.add_argument(
        "--report-dir", type=Path, help="reports folder (results/loadtest/<scenario>-<time>)"
    )
    loadtest.add_argument("--chat-seed", type=int, default=0, help="seed of the generated chats")
    loadtest.add_argument(
        "--think-time", type=float, default=1.0, help="max pause between requests, s (1.0)"
    )
    loadtest.add_argument("--grpc-target", help="gRPC host:port (default: --host's name:50051)")
    loadtest.add_argument(
        "--step-users", type=int, default=4, help="step_load: users added per step (4)"
    )
    loadtest.add_argument(
        "--step-time", type=_seconds, default=60, help="step_load: seconds per step (60)"
    )

    loadtest.set_defaults(run=run_loadtest)

    benchmark = subparsers.add_parser(
        "benchmark",
        help="our stack against the single-process baseline at 1, 4 and 16 users",
        description=run_benchmark.__doc__,
    )
    benchmark.add_argument("--preset", default="small", help="small (default) or tiny")
    benchmark.add_argument(
        "--users", type=int, nargs="+", default=[1, 4, 16], help="user counts (1 4 16)"
    )
    benchmark.add_argument(
        "--run-time", type=_seconds, default=240, help="length of multi-user points (240s)"
    )
    benchmark.add_argument(
        "--single-user-run-time",
        type=_seconds,
        default=90,
        help="length of 1-user points and of the reference (90s)",
    )
    benchmark.add_argument("--warmup", type=int, default=2, help="uncounted requests (2)")
    benchmark.add_argument("--chat-seed", type=int, default=0, help="seed of the generated chats")
    benchmark.add_argument("--output", type=Path, help="results/benchmark/<preset>-<time>")
    benchmark.add_argument("--repository", type=Path, help="serve this exported repository")
    benchmark.add_argument(
        "--checkpoints", type=Path, help="its checkpoints (summarizer/, diffusion/)"
    )
    benchmark.add_argument(
        "--instances", type=_instances, default={}, help="export with e.g. unet=1,summarizer=2"
    )
    benchmark.add_argument(
        "--ort-threads", type=int, help="ONNX Runtime threads per Triton model and reference"
    )
    benchmark.add_argument("--torch-threads", type=int, help="the baseline's torch threads")
    benchmark.add_argument(
        "--open-loop-rates",
        type=float,
        nargs="+",
        default=[],
        help="also offer Poisson arrivals at these rates (requests/min) to baseline and ours",
    )
    benchmark.add_argument(
        "--open-loop-time", type=_seconds, default=180, help="arrival window per rate (180s)"
    )
    benchmark.add_argument(
        "--tts-objective", type=float, default=10.0, help="open-loop goodput: summary within (s)"
    )
    benchmark.add_argument(
        "--tti-objective", type=float, default=60.0, help="open-loop goodput: picture within (s)"
    )
    benchmark.add_argument(
        "--systems",
        nargs="+",
        choices=SYSTEM_CHOICES,
        default=list(SYSTEM_CHOICES),
        help="what to measure (all)",
    )
    benchmark.set_defaults(run=run_benchmark)


def run_loadtest(args: argparse.Namespace) -> int:
    """Run a scenario headless; exit non-zero when a threshold is crossed.

    Writes ``<scenario>_stats.csv``, ``_failures.csv``, ``_exceptions.csv``,
    ``_stats_history.csv`` and ``<scenario>.html`` into the report folder.
    """
    from loadtest.headless import LoadTestRun, run_locust

    report_dir = args.report_dir or Path("results/loadtest") / f"{args.scenario}-{_stamp()}"
    extra: tuple[str, ...] = ()
    if args.shape:
        extra = ("--step-users", str(args.step_users), "--step-time", str(args.step_time))
    run = LoadTestRun(
        host=args.host,
        report_dir=report_dir,
        scenario=args.scenario,
        users=args.users,
        spawn_rate=args.spawn_rate,
        run_time=args.run_time,
        shape=args.shape,
        max_fail_ratio=args.max_fail_ratio,
        max_p95_ms=tuple(args.max_p95),
        chat_seed=args.chat_seed,
        think_time=args.think_time,
        grpc_target=args.grpc_target,
        extra_args=extra,
    )
    code = run_locust(run)
    logger.info("reports: %s", ", ".join(str(path) for path in run.reports()))
    if code != 0:
        logger.error("load test failed (locust exit code %d)", code)
    return code


def run_benchmark(args: argparse.Namespace) -> int:
    """Measure our stack against the single-process baseline on this machine.

    Prints a table (raw figures and ours/baseline ratios), and writes ``results.json``,
    ``benchmark.png`` and every point's Locust reports into the output folder.
    """
    from export.pipeline import ExportError
    from loadtest.benchmark.host import format_host
    from loadtest.benchmark.open_loop import Objectives
    from loadtest.benchmark.report import format_table, write_chart
    from loadtest.benchmark.runner import BenchmarkOptions, run_benchmark
    from loadtest.benchmark.servers import ServerError

    if args.ort_threads:
        # Triton's models and the in-process reference read it (inherited by Triton).
        os.environ["CALLE_ORT_THREADS"] = str(args.ort_threads)
    output = args.output or Path("results/benchmark") / f"{args.preset}-{_stamp()}"
    options = BenchmarkOptions(
        output_dir=output,
        preset=args.preset,
        users=tuple(args.users),
        run_seconds=args.run_time,
        single_user_run_seconds=args.single_user_run_time,
        warmup=args.warmup,
        chat_seed=args.chat_seed,
        repository=args.repository,
        checkpoints=args.checkpoints,
        instances=args.instances,
        torch_threads=args.torch_threads,
        systems=tuple(args.systems),
        open_loop_rates=tuple(args.open_loop_rates),
        open_loop_seconds=args.open_loop_time,
        objectives=Objectives(args.tts_objective, args.tti_objective),
    )
    try:
        report = run_benchmark(options)
    except (ExportError, ServerError) as exc:
        logger.error("benchmark failed: %s", exc)
        return 1
    write_chart(report, output / "benchmark.png")
    sys.stdout.write(format_host(report.settings["host"]) + "\n" + format_table(report) + "\n")
    logger.info("results: %s, chart: %s", output / "results.json", output / "benchmark.png")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``python -m loadtest``."""
    parser = argparse.ArgumentParser(prog="python -m loadtest", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    register(parser.add_subparsers(dest="command", required=True))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m loadtest``."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    return args.run(args)
