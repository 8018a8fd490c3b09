"""One benchmark run: export if needed, then every system at every user count, on one machine.

Order matters on a shared machine: the in-process reference runs first, alone; our stack is
started once and stays up (idle) while the baseline runs; for each user count the baseline
goes, then ours, so that drift in the machine's load hits both alike. The baseline gets a
fresh process per point (its queue of abandoned requests dies with it); ours is drained
(Triton quiet) between points. Each system is warmed up with requests that are not counted.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import httpx

from export.pipeline import ExportOptions, is_current, run_export
from loadtest.benchmark.cpu import CpuMeter
from loadtest.benchmark.gateway_stages import mean_stage_seconds, scrape_stages
from loadtest.benchmark.host import describe_host
from loadtest.benchmark.open_loop import DEFAULT_OBJECTIVES, Objectives, run_open_loop
from loadtest.benchmark.reference import measure_reference
from loadtest.benchmark.report import BASELINE, OURS, BenchmarkReport, Point
from loadtest.benchmark.samples import Latency, failures, read_samples
from loadtest.benchmark.servers import Endpoint, baseline_server, our_stack, wait_until_idle
from loadtest.benchmark.summary_burst import measure_summary_burst
from loadtest.benchmark.summary_targets import BURST_SUMMARIES
from loadtest.benchmark.triton_metrics import activity, scrape
from loadtest.chats import ChatGenerator, GeneratedChat
from loadtest.checks import STREAM_NAME, TIME_TO_IMAGE, TIME_TO_SUMMARY
from loadtest.headless import LoadTestRun, run_locust

logger = logging.getLogger(__name__)

REFERENCE = "reference"
PEER = "peer"  # the best single-process peer: the same graphs and engines on every core
SYSTEMS = (REFERENCE, PEER, BASELINE, OURS)
SCENARIO = "chat_images"
# Warm-up chats come from a user number no load-test user has, so measured chats stay the same.
WARMUP_USER = 999_999
OPEN_LOOP_USER = 500_000
BURST_USER = 700_000
WARMUP_TIMEOUT_S = 900.0


@dataclass(frozen=True)
class BenchmarkOptions:
    """How to run the benchmark.

    Attributes:
        output_dir: Where reports, logs and results go.
        preset: Export preset (``small`` for the published figures, ``tiny`` for a quick look).
        users: User counts, each measured on both systems.
        run_seconds: Length of each multi-user point.
        single_user_run_seconds: Length of the one-user points and of the reference.
        warmup: Requests each system gets before it is measured.
        chat_seed: Seed of the generated chats.
        repository: Use this exported repository instead of exporting the preset.
        checkpoints: The PyTorch checkpoints of ``repository`` (``summarizer/``, ``diffusion/``).
        instances: Triton instance counts to export with (e.g. ``{"unet": 1}``).
        torch_threads: The baseline's torch threads (default: torch's own choice).
        systems: Which of reference, peer, baseline and ours to measure.
        workdir: Where presets are exported.
        open_loop_rates: Poisson arrival rates (per minute) offered to the baseline and ours
            after the closed-loop points; none: no open-loop points.
        open_loop_seconds: Arrival window of each open-loop point.
        objectives: Time-to-summary and time-to-image objectives for open-loop goodput.
    """

    output_dir: Path
    preset: str = "small"
    users: tuple[int, ...] = (1, 4, 16)
    # At 16 users on the small preset a picture takes ~80 s: 240 s covers three rounds, so the
    # start-up burst (every user's first request at once) does not dominate throughput.
    run_seconds: int = 240
    single_user_run_seconds: int = 90
    warmup: int = 2
    chat_seed: int = 0
    repository: Path | None = None
    checkpoints: Path | None = None
    instances: Mapping[str, int] = field(default_factory=dict)
    torch_threads: int | None = None
    systems: tuple[str, ...] = SYSTEMS
    workdir: Path = Path("build/loadtest")
    open_loop_rates: tuple[float, ...] = ()
    open_loop_seconds: int = 180
    objectives: Objectives = DEFAULT_OBJECTIVES

    def seconds_for(self, users: int) -> int:
        """The run length of a point with ``users`` users."""
        return self.single_user_run_seconds if users == 1 else self.run_seconds


def prepare_repository(options: BenchmarkOptions) -> tuple[Path, Path]:
    """The repository to serve and its checkpoints, exporting the preset when needed."""
    if options.repository is not None:
        checkpoints = options.checkpoints or (
            options.repository.parent / "checkpoints" / options.preset
        )
        return options.repository, checkpoints
    tag = options.preset + "".join(f"-{m}{n}" for m, n in sorted(options.instances.items()))
    checkpoints = options.workdir / options.preset / "checkpoints" / options.preset
    export = ExportOptions(
        output=options.workdir / tag / "model_repository",
        preset=options.preset,
        instances=dict(options.instances),
        checkpoints=checkpoints,
    )
    if is_current(export):
        logger.info("using the exported %s", export.output)
    else:
        logger.info("exporting the %s preset to %s", options.preset, export.output)
        run_export(export, progress=False)
    return export.output, checkpoints


def warm_up(url: str, chats: list[GeneratedChat]) -> None:
    """Send ``chats`` one by one (JSON answers) so that first-call costs are paid."""
    with httpx.Client(base_url=url, timeout=WARMUP_TIMEOUT_S) as client:
        for chat in chats:
            client.post("/v1/chat-images", json=chat.chat_image_body()).raise_for_status()


@contextmanager
def warm_baseline(
    options: BenchmarkOptions,
    served: tuple[Path, Path],
    log_path: Path,
    warmup: list[GeneratedChat],
) -> Iterator[Endpoint]:
    """A fresh baseline process on ``served`` (repository, checkpoints), warmed up."""
    repository, checkpoints = served
    with baseline_server(
        checkpoints, repository, log_path, torch_threads=options.torch_threads
    ) as baseline:
        warm_up(baseline.url, warmup)
        yield baseline


def run_point(system: str, endpoint: Endpoint, users: int, options: BenchmarkOptions) -> Point:
    """One headless Locust run of the chat-image scenario, and what the servers did."""
    folder = options.output_dir / "points" / f"{system}-u{users}"
    seconds = options.seconds_for(users)
    run = LoadTestRun(
        host=endpoint.url,
        report_dir=folder,
        scenario=SCENARIO,
        users=users,
        spawn_rate=users,
        run_time=f"{seconds}s",
        max_fail_ratio=None,
        chat_seed=options.chat_seed,
        think_time=0.0,
        samples_file=folder / "samples.jsonl",
    )
    before = scrape(endpoint.metrics_url) if endpoint.metrics_url else None
    stages_before = scrape_stages(endpoint.stages_url) if endpoint.stages_url else None
    meter = CpuMeter(endpoint.pids)
    code = run_locust(run, log_file=folder / "locust.log")
    cpu = meter.stop()
    triton = activity(before, scrape(endpoint.metrics_url)) if endpoint.metrics_url else {}
    stages = {}
    if endpoint.stages_url and stages_before is not None:
        stages = mean_stage_seconds(stages_before, scrape_stages(endpoint.stages_url))
    if code != 0:
        logger.warning(
            "%s at %d users: locust exited with %d (see %s)", system, users, code, folder
        )
    samples = read_samples(folder / "samples.jsonl")
    point = Point(
        system=system,
        users=users,
        run_seconds=seconds,
        completed=Latency.of_entry(samples, TIME_TO_IMAGE).count,
        errors=failures(samples, STREAM_NAME),
        time_to_summary=Latency.of_entry(samples, TIME_TO_SUMMARY),
        time_to_image=Latency.of_entry(samples, TIME_TO_IMAGE),
        time_to_summary_after_start=Latency.of_entry(samples, TIME_TO_SUMMARY, skip_first=users),
        cpu=cpu,
        triton=triton,
        stages=stages,
    )
    logger.info(
        "%s at %d users: %.2f pictures/min, %d errors",
        system,
        users,
        point.requests_per_minute,
        point.errors,
    )
    return point


def _settings(options: BenchmarkOptions, repository: Path, checkpoints: Path) -> dict[str, object]:
    return {
        "preset": options.preset,
        "scenario": f"{SCENARIO} (streaming HTTP, no think time)",
        "users": list(options.users),
        "run_seconds": options.run_seconds,
        "single_user_run_seconds": options.single_user_run_seconds,
        "warmup_requests": options.warmup,
        "chat_seed": options.chat_seed,
        "ort_threads": os.environ.get("CALLE_ORT_THREADS", "1"),
        "torch_threads": options.torch_threads or "torch default",
        "instances": dict(options.instances),
        "repository": str(repository),
        "checkpoints": str(checkpoints),
        "systems": list(options.systems),
        "cpus": os.cpu_count(),
        "machine": platform.platform(),
        "host": describe_host(repository),
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def run_benchmark(options: BenchmarkOptions) -> BenchmarkReport:
    """Measure every system at every user count; results are saved after each point.

    Writes ``results.json`` in ``options.output_dir`` as it goes, so an interrupted run keeps
    what it measured.
    """
    repository, checkpoints = prepare_repository(options)
    options.output_dir.mkdir(parents=True, exist_ok=True)
    report = BenchmarkReport(settings=_settings(options, repository, checkpoints))
    generator = ChatGenerator(options.chat_seed)
    warmup = [generator.chat(WARMUP_USER, index) for index in range(options.warmup)]
    started = time.monotonic()

    def save() -> None:
        report.settings["wall_seconds"] = round(time.monotonic() - started)
        path = options.output_dir / "results.json"
        path.write_text(json.dumps(report.to_json(), indent=2) + "\n", encoding="utf-8")

    if REFERENCE in options.systems:
        logger.info("in-process reference (the exported engines), 1 user")
        report.reference = measure_reference(
            repository,
            generator.chats(0),
            run_seconds=options.single_user_run_seconds,
            warmup=warmup,
        )
        save()
    if PEER in options.systems:
        logger.info("best single-process peer (%d threads), 1 user", os.cpu_count() or 1)
        report.peer = measure_reference(
            repository,
            generator.chats(0),
            run_seconds=options.single_user_run_seconds,
            warmup=warmup,
            threads=os.cpu_count() or 1,
        )
        save()
    logs = options.output_dir / "logs"
    with ExitStack() as stack:
        ours = None
        if OURS in options.systems:
            ours = stack.enter_context(our_stack(repository, logs))
            warm_up(ours.url, warmup)
            logger.info("%d summaries at once on our idle stack", BURST_SUMMARIES)
            report.summary_burst = measure_summary_burst(
                ours, [generator.chat(BURST_USER, index) for index in range(BURST_SUMMARIES)]
            )
            save()
        for users in options.users:
            if BASELINE in options.systems:
                with warm_baseline(
                    options, (repository, checkpoints), logs / f"baseline-u{users}.log", warmup
                ) as baseline:
                    report.points.append(run_point(BASELINE, baseline, users, options))
                save()
            if ours is not None and ours.metrics_url is not None:
                report.points.append(run_point(OURS, ours, users, options))
                save()
                last = users == options.users[-1] and not options.open_loop_rates
                if not last and not wait_until_idle(ours.metrics_url):
                    logger.warning("Triton still busy after the %d-user point", users)
        run_open_loop_points(
            options,
            report,
            chats=generator,
            ours=ours,
            servers=(repository, checkpoints, logs),
            warmup=warmup,
            save=save,
        )
    return report


def run_open_loop_points(
    options: BenchmarkOptions,
    report: BenchmarkReport,
    *,
    chats: ChatGenerator,
    ours: Endpoint | None,
    servers: tuple[Path, Path, Path],
    warmup: list[GeneratedChat],
    save: Callable[[], None],
) -> None:
    """Each open-loop rate on the baseline (a fresh process) and then on ours.

    Args:
        options: The run's options (rates, window, objectives).
        report: Gets one :class:`OpenLoopPoint` per system and rate.
        chats: The chat generator.
        ours: Our running stack, if measured.
        servers: The repository, its checkpoints and the log folder (for the baseline).
        warmup: Chats the fresh baseline gets first.
        save: Writes the results so far.
    """
    repository, checkpoints, logs = servers
    for index, rate in enumerate(options.open_loop_rates):
        # Chats from a user number of their own per rate, the same for both systems.
        user = OPEN_LOOP_USER + index
        common = {
            "rate_per_minute": rate,
            "seconds": options.open_loop_seconds,
            "objectives": options.objectives,
            "seed": options.chat_seed + index,
        }
        if BASELINE in options.systems:
            with warm_baseline(
                options, (repository, checkpoints), logs / f"baseline-open-{rate:g}.log", warmup
            ) as baseline:
                report.open_loop.append(
                    run_open_loop(BASELINE, baseline.url, chats.chats(user), **common)
                )
            save()
        if ours is not None:
            report.open_loop.append(run_open_loop(OURS, ours.url, chats.chats(user), **common))
            save()
            if ours.metrics_url is not None and not wait_until_idle(ours.metrics_url):
                logger.warning("Triton still busy after the open-loop point at %g/min", rate)
