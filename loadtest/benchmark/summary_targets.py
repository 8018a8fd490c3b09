"""The summarizer's targets (issue 15): time-to-summary under a burst, and its CPU cost.

- **Burst**: our p95 time-to-summary at the most users, first requests included (all users
  start at once), at most 1.5x the *baseline's* one-user p95: sixteen people at once get their
  summaries about as fast as one person did with the first version.
- **Steady state**: the same without each user's first request, at most the baseline's
  one-user p95.
- **Cost**: summarizer core-seconds per summary at ``BURST_SUMMARIES`` (8) concurrent
  requests (``summary_burst``), at most a quarter of the 2.6 s the ONNX + ``generate``
  summarizer took; the same figure at the most users of the closed loop is given beside it.
  Each instance holds one core of the rate limiter while it runs, and Triton adds a batch's
  compute time to every request in it, so a summary costs compute per request / requests per
  batch x cores per instance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from loadtest.benchmark.report import BenchmarkReport, Target
    from loadtest.benchmark.triton_metrics import ModelActivity

BURST_TARGET = 1.5
STEADY_TARGET = 1.0
ONNX_CORE_SECONDS = 2.6  # per summary, ONNX Runtime + generate (issue 15's measurement)
COST_TARGET = ONNX_CORE_SECONDS / 4
CORES_PER_INSTANCE = 1  # the summarizer template's rate-limiter resource
SUMMARIZER = "summarizer"
BURST_SUMMARIES = 8  # the "8 concurrent requests"


def core_seconds_per_summary(activity: ModelActivity | None) -> float | None:
    """What one summary cost the summarizer's cores during ``activity``."""
    if activity is None or not activity.requests_per_batch:
        return None
    return activity.compute_ms_per_request / 1000 / activity.requests_per_batch * CORES_PER_INSTANCE


def summary_targets(report: BenchmarkReport) -> list[Target]:
    """The three summarizer target lines for ``report``."""
    from loadtest.benchmark.report import BASELINE, OURS, Target, _num, _ratio

    counts = report.user_counts
    if not counts:
        return []
    few, most = counts[0], counts[-1]
    ours, base = report.point(OURS, most), report.point(BASELINE, few)
    base95 = None if base is None else base.time_to_summary.p95_s
    burst = None if ours is None else ours.time_to_summary.p95_s
    steady = None if ours is None else ours.time_to_summary_after_start.p95_s
    loaded = None if ours is None else ours.triton.get(SUMMARIZER)
    burst_activity = report.summary_burst
    cost = core_seconds_per_summary(burst_activity)
    batch = None if burst_activity is None else burst_activity.requests_per_batch
    loaded_batch = None if loaded is None else loaded.requests_per_batch
    return [
        Target(
            f"p95 time-to-summary at {most} users (burst included) / baseline at {few}",
            _ratio(burst, base95),
            BURST_TARGET,
            at_least=False,
            detail=f"{_num(burst)} vs {_num(base95)} s",
        ),
        Target(
            f"p95 time-to-summary at {most} users (steady state) / baseline at {few}",
            _ratio(steady, base95),
            STEADY_TARGET,
            at_least=False,
            detail=f"{_num(steady)} vs {_num(base95)} s",
        ),
        Target(
            f"summarizer core-seconds per summary at {BURST_SUMMARIES} concurrent summaries,"
            f" / ONNX's {ONNX_CORE_SECONDS}",
            _ratio(cost, ONNX_CORE_SECONDS),
            COST_TARGET / ONNX_CORE_SECONDS,
            at_least=False,
            detail=(
                f"{_num(cost)} core-s per summary, {_num(batch)} requests per batch; closed loop"
                f" at {most} users: {_num(core_seconds_per_summary(loaded))} core-s,"
                f" {_num(loaded_batch)} requests per batch"
            ),
        ),
    ]
