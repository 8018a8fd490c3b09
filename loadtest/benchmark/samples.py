"""Per-request samples written by the Locust process (``--samples-file``), and percentiles.

Locust's own tables round response times above ten seconds to whole seconds, which is too
coarse for a 15 % comparison at one user, so the benchmark computes its percentiles here from
every request's exact time.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    """One request as the load generator saw it.

    Attributes:
        request_type: Locust's type column (``SSE``, ``POST``, ``gRPC``).
        name: The entry name.
        ms: Response time in milliseconds.
        ok: Whether it succeeded (status and content checks).
        end: Wall-clock time it was recorded (seconds since the epoch).
    """

    request_type: str
    name: str
    ms: float
    ok: bool
    end: float


def read_samples(path: Path) -> list[Sample]:
    """The samples of one run (none when the file is missing: no request finished)."""
    if not path.exists():
        return []
    samples = []
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            samples.append(
                Sample(item["type"], item["name"], float(item["ms"]), bool(item["ok"]), item["end"])
            )
    return samples


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-quantile (0..1) with linear interpolation between closest ranks.

    Raises:
        ValueError: No values.
    """
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Latency:
    """Successful requests of one entry and their median and 95th percentile, in seconds."""

    count: int
    p50_s: float | None
    p95_s: float | None

    @classmethod
    def of_seconds(cls, seconds: Sequence[float]) -> Latency:
        """From durations in seconds."""
        if not seconds:
            return cls(0, None, None)
        return cls(len(seconds), percentile(seconds, 0.5), percentile(seconds, 0.95))

    @classmethod
    def of_entry(cls, samples: Iterable[Sample], name: str, *, skip_first: int = 0) -> Latency:
        """From the successful samples named ``name``.

        Args:
            samples: One run's samples.
            name: The entry.
            skip_first: Leave out the requests that started first (by start time): with
                ``skip_first`` = users, each user's first request, i.e. the start-up burst of a
                run whose users all start at once, to see the steady state apart from it.
        """
        ok = sorted((s.end - s.ms / 1000, s.ms / 1000) for s in samples if s.name == name and s.ok)
        return cls.of_seconds([seconds for _, seconds in ok[skip_first:]])


def failures(samples: Iterable[Sample], name: str) -> int:
    """Failed samples named ``name``."""
    return sum(1 for s in samples if s.name == name and not s.ok)
