"""The report's aggregate numbers, computed from per-example values.

Kept free of models and servers so that each definition is tested on hand-made arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_THRESHOLD = 0.6


@dataclass(frozen=True)
class SimilarityStats:
    """The first version's yardstick.

    Attributes:
        mean: Mean cosine similarity between predicted and reference summaries.
        share_above: Share of summaries whose similarity is strictly above ``threshold``.
        threshold: The threshold (0.6 reads as KorSTS 3.0 on a KorSTS-trained embedder).
    """

    mean: float
    share_above: float
    threshold: float


@dataclass(frozen=True)
class ThroughputStats:
    """How fast the target answered.

    Attributes:
        summaries_per_s: Successful summaries over the wall time of the run.
        latency_p50_s: Median request latency.
        latency_p95_s: 95th percentile request latency (linear interpolation).
        wall_s: Wall time from the first request to the last answer.
    """

    summaries_per_s: float
    latency_p50_s: float
    latency_p95_s: float
    wall_s: float


def similarity_stats(
    similarities: Sequence[float] | np.ndarray, threshold: float
) -> SimilarityStats:
    """Mean similarity and the share above ``threshold``.

    Raises:
        ValueError: ``similarities`` is empty.
    """
    values = np.asarray(similarities, dtype=np.float64)
    if values.size == 0:
        raise ValueError("no similarities to aggregate")
    return SimilarityStats(
        mean=float(values.mean()),
        share_above=float(np.mean(values > threshold)),
        threshold=threshold,
    )


def throughput_stats(latencies_s: Sequence[float], wall_s: float) -> ThroughputStats:
    """Throughput and latency percentiles of the successful requests.

    Raises:
        ValueError: ``latencies_s`` is empty or ``wall_s`` is not positive.
    """
    values = np.asarray(latencies_s, dtype=np.float64)
    if values.size == 0:
        raise ValueError("no latencies to aggregate")
    if wall_s <= 0:
        raise ValueError("wall time must be positive")
    p50, p95 = np.percentile(values, [50, 95])
    return ThroughputStats(
        summaries_per_s=values.size / wall_s,
        latency_p50_s=float(p50),
        latency_p95_s=float(p95),
        wall_s=wall_s,
    )


def mean(values: Sequence[float]) -> float:
    """The arithmetic mean.

    Raises:
        ValueError: ``values`` is empty.
    """
    if not values:
        raise ValueError("no values to average")
    return float(np.mean(values))
