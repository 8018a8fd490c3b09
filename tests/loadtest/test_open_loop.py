"""Open-loop arrivals and goodput (the driver's arithmetic; the benchmark runs it for real)."""

from __future__ import annotations

import itertools
import statistics

import pytest

from loadtest.benchmark.open_loop import Objectives, Outcome, poisson_arrivals, summarize
from loadtest.benchmark.report import BenchmarkReport, format_table

OBJECTIVES = Objectives(time_to_summary_s=5.0, time_to_image_s=30.0)


def test_arrivals_are_a_seeded_poisson_process() -> None:
    arrivals = poisson_arrivals(120.0, 600.0, seed=3)
    assert arrivals == poisson_arrivals(120.0, 600.0, seed=3)
    assert arrivals != poisson_arrivals(120.0, 600.0, seed=4)
    assert all(0 < a < 600 for a in arrivals)
    assert arrivals == sorted(arrivals)
    assert len(arrivals) == pytest.approx(1200, rel=0.1)  # 2 per second
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert statistics.mean(gaps) == pytest.approx(0.5, rel=0.1)
    # Exponential gaps: the standard deviation equals the mean (a fixed pace would give 0).
    assert statistics.stdev(gaps) == pytest.approx(0.5, rel=0.15)
    with pytest.raises(ValueError, match="must be positive"):
        poisson_arrivals(0, 10, seed=0)


def test_goodput_counts_requests_meeting_both_objectives() -> None:
    outcomes = [
        Outcome(2.0, 20.0),  # good
        Outcome(6.0, 20.0),  # summary late
        Outcome(2.0, 31.0),  # picture late
        Outcome(1.0, None),  # no picture
        Outcome(None, None),  # failed
        Outcome(5.0, 30.0),  # good: on the objective
    ]
    point = summarize("ours", 6.0, 120.0, outcomes, OBJECTIVES)
    assert (point.offered, point.completed) == (6, 4)
    assert point.goodput_per_minute == pytest.approx(60.0 * 2 / 120.0)
    assert point.time_to_summary.count == 5
    assert point.time_to_image.p50_s == pytest.approx(25.0)

    report = BenchmarkReport(settings={}, open_loop=[point])
    table = format_table(report)
    assert "open loop (Poisson arrivals; goodput: summary <= 5 s and picture <= 30 s):" in table
    assert "6/min ours      offered   6, completed   4, goodput 1.00/min" in table
    assert report.to_json()["open_loop"][0]["goodput_per_minute"] == pytest.approx(1.0)
