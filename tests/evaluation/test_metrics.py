"""Aggregates on hand-made arrays."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation.metrics import mean, similarity_stats, throughput_stats


def test_similarity_mean_and_share_above() -> None:
    stats = similarity_stats([0.9, 0.6, 0.59, 0.8, -0.2], threshold=0.6)
    assert stats.mean == pytest.approx((0.9 + 0.6 + 0.59 + 0.8 - 0.2) / 5)
    # Strictly above: 0.6 itself does not count.
    assert stats.share_above == pytest.approx(2 / 5)
    assert stats.threshold == 0.6


def test_similarity_threshold_is_a_parameter() -> None:
    values = np.array([0.1, 0.2, 0.3, 0.4])
    assert similarity_stats(values, threshold=0.25).share_above == 0.5
    assert similarity_stats(values, threshold=0.0).share_above == 1.0
    assert similarity_stats(values, threshold=1.0).share_above == 0.0


def test_all_identical_summaries() -> None:
    stats = similarity_stats(np.ones(7), threshold=0.6)
    assert stats.mean == 1.0
    assert stats.share_above == 1.0


def test_throughput_and_percentiles() -> None:
    latencies = [0.1 * (i + 1) for i in range(10)]  # 0.1 .. 1.0
    stats = throughput_stats(latencies, wall_s=2.0)
    assert stats.summaries_per_s == 5.0
    assert stats.latency_p50_s == pytest.approx(0.55)
    assert stats.latency_p95_s == pytest.approx(0.955)
    assert stats.wall_s == 2.0


@pytest.mark.parametrize(
    "call",
    [
        lambda: similarity_stats([], 0.6),
        lambda: throughput_stats([], 1.0),
        lambda: throughput_stats([0.1], 0.0),
        lambda: mean([]),
    ],
)
def test_empty_inputs_are_refused(call) -> None:
    with pytest.raises(ValueError, match=r"no |positive"):
        call()


def test_mean() -> None:
    assert mean([1, 2, 3, 6]) == 3.0
