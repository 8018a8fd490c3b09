"""The benchmark's results: ratios, targets, the printed table, the JSON and the chart.

Everything here works on numbers already measured, so it is tested on fixed figures. A ratio
is always ours over the baseline's (or over the in-process reference's) from the same run:
above 1 is better for throughput, below 1 is better for latency.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtest.benchmark.cpu import CpuUsage
from loadtest.benchmark.open_loop import OpenLoopPoint
from loadtest.benchmark.samples import Latency
from loadtest.benchmark.summary_targets import summary_targets
from loadtest.benchmark.triton_metrics import ModelActivity

BASELINE = "baseline"
OURS = "ours"
# Triton models shown in the breakdown of our time, in pipeline order.
BREAKDOWN_MODELS = ("summarizer", "diffusion", "text_encoder", "unet", "vae_decoder")

# The issues' targets on a 2-core CPU machine, small preset (worked towards, not asserted).
THROUGHPUT_TARGET = 3.0  # ours / baseline requests per minute at the most users, at least
SUMMARY_GROWTH_TARGET = 3.0  # our p95 time-to-summary at the most users / at 1 user, at most
OVERHEAD_TARGET = 1.10  # our p50 time-to-image at 1 user / in-process reference, at most
PEER_THROUGHPUT_TARGET = 1.2  # ours / best single-process peer pictures per minute, at least


@dataclass(frozen=True)
class Point:
    """One system at one user count.

    Attributes:
        system: ``baseline`` or ``ours``.
        users: Concurrent users.
        run_seconds: Length of the measured run.
        completed: Pictures delivered (successful ``time-to-image``).
        errors: Failed chat-to-image requests.
        time_to_summary: From sending the request to the summary event.
        time_to_image: From sending the request to the image event.
        time_to_summary_after_start: The same without each user's first request (the users
            all start at once, so their first summaries arrive as one burst).
        cpu: CPU use during the run.
        triton: Per-model activity in Triton (ours only).
        stages: Mean seconds per request of each gateway stage (ours only).
    """

    system: str
    users: int
    run_seconds: float
    completed: int
    errors: int
    time_to_summary: Latency
    time_to_image: Latency
    time_to_summary_after_start: Latency
    cpu: CpuUsage | None = None
    triton: dict[str, ModelActivity] = field(default_factory=dict)
    stages: dict[str, float] = field(default_factory=dict)

    @property
    def requests_per_minute(self) -> float:
        """Pictures delivered per minute."""
        return 60.0 * self.completed / self.run_seconds if self.run_seconds > 0 else 0.0


@dataclass(frozen=True)
class Reference:
    """The exported engines called in-process, one request at a time (no gateway, no Triton).

    Attributes:
        requests: Requests measured.
        time_to_summary: Per request.
        time_to_image: Per request.
        seconds: Wall time of the measured requests, back to back.
        threads: Engine threads per graph (1: as one Triton instance; all cores: the best
            single-process peer).
    """

    requests: int
    time_to_summary: Latency
    time_to_image: Latency
    seconds: float | None = None
    threads: int | None = None

    @property
    def requests_per_minute(self) -> float | None:
        """Pictures per minute, one request at a time."""
        return 60.0 * self.requests / self.seconds if self.seconds else None


@dataclass(frozen=True)
class Target:
    """One of the issue's targets and how this run did.

    Attributes:
        name: What is compared.
        value: The measured ratio, ``None`` when the run lacks a figure it needs.
        limit: The target ratio.
        at_least: Whether the value must reach the limit (else stay under it).
        detail: The raw figures behind the ratio.
    """

    name: str
    value: float | None
    limit: float
    at_least: bool
    detail: str

    @property
    def met(self) -> bool | None:
        """Whether the target is met (``None``: not measured)."""
        if self.value is None:
            return None
        return self.value >= self.limit if self.at_least else self.value <= self.limit


def _ratio(ours: float | None, theirs: float | None) -> float | None:
    if ours is None or theirs is None or theirs == 0:
        return None
    return ours / theirs


@dataclass
class BenchmarkReport:
    """Everything one benchmark run measured.

    Attributes:
        settings: How it was run (preset, durations, seeds, threads, machine).
        points: Every system at every user count.
        reference: The in-process reference (the exported engines), if measured.
        peer: The best single-process peer (the same graphs and engines, one process using
            every core, one request at a time), if measured.
        open_loop: Poisson-arrival points with their goodput, if measured.
        summary_burst: The summarizer's activity while ``BURST_SUMMARIES`` summaries were sent
            to our idle stack at once, if measured.
    """

    settings: dict[str, Any]
    points: list[Point] = field(default_factory=list)
    reference: Reference | None = None
    peer: Reference | None = None
    open_loop: list[OpenLoopPoint] = field(default_factory=list)
    summary_burst: ModelActivity | None = None

    def point(self, system: str, users: int) -> Point | None:
        """The point of ``system`` at ``users``, if measured."""
        return next((p for p in self.points if p.system == system and p.users == users), None)

    @property
    def user_counts(self) -> list[int]:
        """The user counts measured, ascending."""
        return sorted({p.users for p in self.points})

    def ratios(self, users: int) -> dict[str, float | None]:
        """Ours over the baseline at ``users``, per metric."""
        ours, base = self.point(OURS, users), self.point(BASELINE, users)
        if ours is None or base is None:
            return {}
        return {
            "requests_per_minute": _ratio(ours.requests_per_minute, base.requests_per_minute),
            "time_to_summary_p50": _ratio(ours.time_to_summary.p50_s, base.time_to_summary.p50_s),
            "time_to_summary_p95": _ratio(ours.time_to_summary.p95_s, base.time_to_summary.p95_s),
            "time_to_image_p50": _ratio(ours.time_to_image.p50_s, base.time_to_image.p50_s),
            "time_to_image_p95": _ratio(ours.time_to_image.p95_s, base.time_to_image.p95_s),
        }

    def targets(self) -> list[Target]:
        """The issues' targets, measured at the fewest and the most users."""
        return self._service_targets() + summary_targets(self)

    def _service_targets(self) -> list[Target]:
        """The service's three targets, measured at the fewest and the most users."""
        counts = self.user_counts
        if not counts:
            return []
        few, most = counts[0], counts[-1]
        ours_few, ours_most = self.point(OURS, few), self.point(OURS, most)
        base_few, base_most = self.point(BASELINE, few), self.point(BASELINE, most)

        def rpm(point: Point | None) -> float | None:
            return None if point is None else point.requests_per_minute

        def tts95(point: Point | None) -> float | None:
            return None if point is None else point.time_to_summary.p95_s

        def steady95(point: Point | None) -> float | None:
            return None if point is None else point.time_to_summary_after_start.p95_s

        ours_tti = None if ours_few is None else ours_few.time_to_image.p50_s
        ref_tti = None if self.reference is None else self.reference.time_to_image.p50_s
        return [
            Target(
                f"throughput at {most} users, ours / baseline",
                _ratio(rpm(ours_most), rpm(base_most)),
                THROUGHPUT_TARGET,
                at_least=True,
                detail=f"{_num(rpm(ours_most))} vs {_num(rpm(base_most))} pictures/min",
            ),
            Target(
                f"p95 time-to-summary, ours at {most} users / ours at {few}",
                _ratio(tts95(ours_most), tts95(ours_few)),
                SUMMARY_GROWTH_TARGET,
                at_least=False,
                detail=(
                    f"ours {_num(tts95(ours_few))} -> {_num(tts95(ours_most))} s; baseline "
                    f"{_num(tts95(base_few))} -> {_num(tts95(base_most))} s "
                    f"(x{_num(_ratio(tts95(base_most), tts95(base_few)))}); without each "
                    f"user's first request: ours {_num(steady95(ours_few))} -> "
                    f"{_num(steady95(ours_most))} s "
                    f"(x{_num(_ratio(steady95(ours_most), steady95(ours_few)))})"
                ),
            ),
            Target(
                f"p50 time-to-image at {few} user(s), ours / in-process reference",
                _ratio(ours_tti, ref_tti),
                OVERHEAD_TARGET,
                at_least=False,
                detail=f"{_num(ours_tti)} vs {_num(ref_tti)} s",
            ),
            *self.peer_targets(),
        ]

    def peer_targets(self) -> list[Target]:
        """Ours against the best single-process peer: throughput at the most users."""
        if self.peer is None or not self.user_counts:
            return []
        most = self.user_counts[-1]
        ours = self.point(OURS, most)
        ours_rpm = None if ours is None else ours.requests_per_minute
        return [
            Target(
                f"throughput at {most} users, ours / best single-process peer",
                _ratio(ours_rpm, self.peer.requests_per_minute),
                PEER_THROUGHPUT_TARGET,
                at_least=True,
                detail=f"{_num(ours_rpm)} vs {_num(self.peer.requests_per_minute)} pictures/min",
            )
        ]

    def to_json(self) -> dict[str, Any]:
        """Everything, as JSON-ready data (raw figures, ratios and targets)."""
        return {
            "settings": self.settings,
            "points": [
                {
                    **dataclasses.asdict(point),
                    "requests_per_minute": point.requests_per_minute,
                    "triton": {
                        model: {
                            **dataclasses.asdict(activity),
                            "requests_per_batch": activity.requests_per_batch,
                            "rows_per_batch": activity.rows_per_batch,
                        }
                        for model, activity in point.triton.items()
                    },
                }
                for point in self.points
            ],
            "reference": None if self.reference is None else dataclasses.asdict(self.reference),
            "peer": None if self.peer is None else dataclasses.asdict(self.peer),
            "open_loop": [dataclasses.asdict(point) for point in self.open_loop],
            "summary_burst": None
            if self.summary_burst is None
            else {
                **dataclasses.asdict(self.summary_burst),
                "requests_per_batch": self.summary_burst.requests_per_batch,
            },
            "ratios": {str(users): self.ratios(users) for users in self.user_counts},
            "targets": [
                {**dataclasses.asdict(target), "met": target.met} for target in self.targets()
            ],
        }


def _num(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _times(value: float | None) -> str:
    return "n/a" if value is None else f"x{value:.2f}"


def _batch(point: Point, model: str) -> str:
    activity = point.triton.get(model)
    return "-" if activity is None else f"{activity.requests_per_batch:.2f}"


_COLUMNS = (
    ("users", 5),
    ("system", 9),
    ("pics/min", 8),
    ("TTS p50", 8),
    ("TTS p95", 8),
    ("TTI p50", 8),
    ("TTI p95", 8),
    ("errors", 6),
    ("CPU %", 5),
    ("srv cores", 9),
    ("unet req/batch", 14),
    ("summ req/batch", 14),
)


def _row(cells: list[str]) -> str:
    return "  ".join(cell.rjust(width) for cell, (_, width) in zip(cells, _COLUMNS, strict=True))


def format_table(report: BenchmarkReport) -> str:
    """The results as a text table (seconds; ``xN`` rows are ours over the baseline)."""
    lines = [_row([name for name, _ in _COLUMNS])]
    for users in report.user_counts:
        for system in (BASELINE, OURS):
            point = report.point(system, users)
            if point is None:
                continue
            cpu = point.cpu
            lines.append(
                _row(
                    [
                        str(users),
                        system,
                        _num(point.requests_per_minute),
                        _num(point.time_to_summary.p50_s),
                        _num(point.time_to_summary.p95_s),
                        _num(point.time_to_image.p50_s),
                        _num(point.time_to_image.p95_s),
                        str(point.errors),
                        "-" if cpu is None else f"{cpu.system_percent:.0f}",
                        "-" if cpu is None else f"{cpu.server_cores:.2f}",
                        _batch(point, "unet"),
                        _batch(point, "summarizer"),
                    ]
                )
            )
        ratios = report.ratios(users)
        if ratios:
            lines.append(
                _row(
                    [
                        str(users),
                        "ours/base",
                        _times(ratios["requests_per_minute"]),
                        _times(ratios["time_to_summary_p50"]),
                        _times(ratios["time_to_summary_p95"]),
                        _times(ratios["time_to_image_p50"]),
                        _times(ratios["time_to_image_p95"]),
                        *[""] * 5,
                    ]
                )
            )
    if report.reference is not None:
        ref = report.reference
        lines += [
            "",
            f"in-process reference (the exported engines), 1 user, {ref.requests} requests: "
            f"TTS p50 {_num(ref.time_to_summary.p50_s)} s, p95 {_num(ref.time_to_summary.p95_s)} s;"
            f" TTI p50 {_num(ref.time_to_image.p50_s)} s, p95 {_num(ref.time_to_image.p95_s)} s",
        ]
    if report.peer is not None:
        peer = report.peer
        lines.append(
            f"best single-process peer ({peer.threads} threads), one request at a time, "
            f"{peer.requests} requests: {_num(peer.requests_per_minute)} pictures/min; "
            f"TTS p50 {_num(peer.time_to_summary.p50_s)} s; "
            f"TTI p50 {_num(peer.time_to_image.p50_s)} s, p95 {_num(peer.time_to_image.p95_s)} s"
        )
    lines += format_open_loop(report.open_loop)
    lines += ["", *format_breakdown(report), "", "targets:"]
    for target in report.targets():
        verdict = {True: "met", False: "MISSED", None: "not measured"}[target.met]
        sign = ">=" if target.at_least else "<="
        lines.append(
            f"  {target.name}: {_times(target.value)} (target {sign} {target.limit:g}) "
            f"{verdict} [{target.detail}]"
        )
    return "\n".join(lines)


def format_open_loop(points: list[OpenLoopPoint]) -> list[str]:
    """One line per open-loop point: offered, completed, goodput, latency."""
    if not points:
        return []
    objectives = points[0].objectives
    lines = [
        "",
        f"open loop (Poisson arrivals; goodput: summary <= {objectives.time_to_summary_s:g} s "
        f"and picture <= {objectives.time_to_image_s:g} s):",
    ]
    for p in points:
        lines.append(
            f"  {p.rate_per_minute:>6g}/min {p.system:<9} offered {p.offered:>3}, completed "
            f"{p.completed:>3}, goodput {p.goodput_per_minute:.2f}/min; TTS p95 "
            f"{_num(p.time_to_summary.p95_s)} s, TTI p50 {_num(p.time_to_image.p50_s)} s, "
            f"p95 {_num(p.time_to_image.p95_s)} s"
        )
    return lines


def format_breakdown(report: BenchmarkReport) -> list[str]:
    """Where our time went at each user count (Triton per model, the gateway's stages)."""
    lines = ["where our time went (Triton per request: queue / compute ms, requests per batch):"]
    for users in report.user_counts:
        point = report.point(OURS, users)
        if point is None or not point.triton:
            continue
        models = [
            f"{model} {a.queue_ms_per_request:.0f}/{a.compute_ms_per_request:.0f} "
            f"x{a.requests_per_batch:.2f}"
            for model in BREAKDOWN_MODELS
            if (a := point.triton.get(model)) is not None
        ]
        stages = ", ".join(f"{stage} {seconds:.2f}" for stage, seconds in point.stages.items())
        lines.append(f"  {users:>3} users: {'; '.join(models)}")
        if stages:
            lines.append(f"             gateway stages (s per request): {stages}")
    return lines


def write_chart(report: BenchmarkReport, path: Path) -> None:
    """Throughput and latency against users for both systems, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = report.user_counts
    panels = (
        ("pictures per minute", lambda p: p.requests_per_minute),
        ("p95 time-to-summary (s)", lambda p: p.time_to_summary.p95_s),
        ("p95 time-to-image (s)", lambda p: p.time_to_image.p95_s),
    )
    figure, axes = plt.subplots(1, len(panels), figsize=(15, 4.5))
    for axis, (title, value) in zip(axes, panels, strict=True):
        for system, marker in ((BASELINE, "s--"), (OURS, "o-")):
            points = [(u, report.point(system, u)) for u in counts]
            xs = [u for u, p in points if p is not None and value(p) is not None]
            ys = [value(p) for _, p in points if p is not None and value(p) is not None]
            axis.plot(xs, ys, marker, label=system)
        _plot_single_process(axis, report, title)
        axis.set_xscale("log", base=2)
        axis.set_xticks(counts, [str(c) for c in counts])
        axis.set_xlabel("concurrent users")
        axis.set_title(title)
        axis.grid(alpha=0.3)
        axis.legend()
    preset = report.settings.get("preset", "?")
    figure.suptitle(f"CALL-E: Triton + gateway vs single-process baseline ({preset} preset)")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _plot_single_process(axis: Any, report: BenchmarkReport, title: str) -> None:
    """The in-process systems' throughput as flat lines: one request at a time, any users.

    Their latency under N users would be queueing only, so it is not drawn.
    """
    if title != "pictures per minute":
        return
    for name, system, style in (
        ("in-process reference", report.reference, ":"),
        ("best single-process peer", report.peer, "-."),
    ):
        if system is not None and system.requests_per_minute is not None:
            axis.axhline(system.requests_per_minute, linestyle=style, color="gray", label=name)
