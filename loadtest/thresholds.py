"""Pass/fail rules of a load test: a failure ratio and a p95 per entry, in milliseconds.

A load test run before a release must be able to fail the pipeline, so the Locust process ends
with a non-zero exit code when a rule is broken (see :mod:`loadtest.hooks`). The rules are
plain data so that they can be parsed from flags or ``LOCUST_*`` variables and checked
without Locust.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

ANY_ENTRY = "*"


@dataclass(frozen=True)
class EntryStats:
    """What a rule looks at in one entry of Locust's statistics.

    Attributes:
        request_type: The type column (``POST``, ``SSE``, ``gRPC``).
        name: The entry's name (a path, ``time-to-summary``, a gRPC method).
        requests: Requests recorded, failed ones included.
        failures: Failed requests.
        p95_ms: The 95th percentile of response times, ``None`` without requests.
    """

    request_type: str
    name: str
    requests: int
    failures: int
    p95_ms: float | None


@dataclass(frozen=True)
class Thresholds:
    """The rules of one run.

    Attributes:
        max_fail_ratio: Largest accepted share of failed requests over all entries, or
            ``None`` for Locust's own rule (any failure fails the run).
        max_p95_ms: Largest accepted p95 per entry name (``*``: every entry). An entry may
            also be named ``"<type> <name>"`` to tell ``SSE time-to-image`` from
            ``gRPC time-to-image``.
    """

    max_fail_ratio: float | None = None
    max_p95_ms: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def parse(cls, max_fail_ratio: float | None, p95: str | Sequence[str]) -> Thresholds:
        """Rules from flag values: ``p95`` is ``NAME=MS`` items, comma-separated or a list.

        Raises:
            ValueError: An item is not ``NAME=MS`` with a positive number, or the ratio is
                outside [0, 1].
        """
        if max_fail_ratio is not None and not 0.0 <= max_fail_ratio <= 1.0:
            raise ValueError(f"failure ratio must be between 0 and 1, got {max_fail_ratio}")
        items = [p95] if isinstance(p95, str) else list(p95)
        limits: dict[str, float] = {}
        for item in (part.strip() for text in items for part in text.split(",")):
            if not item:
                continue
            name, sep, value = item.rpartition("=")
            try:
                limit = float(value)
            except ValueError:
                limit = -1.0
            if not sep or not name.strip() or limit <= 0:
                raise ValueError(f"expected NAME=MILLISECONDS with a positive number, got {item!r}")
            limits[name.strip()] = limit
        return cls(max_fail_ratio, limits)

    @property
    def active(self) -> bool:
        """Whether any rule is set (else Locust's own exit code stands)."""
        return self.max_fail_ratio is not None or bool(self.max_p95_ms)

    def violations(self, entries: Sequence[EntryStats], total: EntryStats) -> list[str]:
        """Every broken rule, in words; empty when the run passes.

        Args:
            entries: The per-entry statistics.
            total: The statistics over all entries.
        """
        if not self.active:
            return []
        if total.requests == 0:
            return ["no request finished during the run"]
        problems = []
        if self.max_fail_ratio is not None:
            ratio = total.failures / total.requests
            if ratio > self.max_fail_ratio:
                problems.append(
                    f"failure ratio {ratio:.3f} > {self.max_fail_ratio:g} "
                    f"({total.failures} of {total.requests} requests failed)"
                )
        for key, limit in self.max_p95_ms.items():
            matching = [entry for entry in entries if _matches(key, entry)]
            if not matching:
                problems.append(f"p95 of {key!r}: no such request finished")
            for entry in matching:
                if entry.p95_ms is None or entry.p95_ms > limit:
                    shown = "n/a" if entry.p95_ms is None else f"{entry.p95_ms:.0f} ms"
                    problems.append(
                        f"p95 of {entry.request_type} {entry.name}: {shown} > {limit:g} ms"
                    )
        return problems


def _matches(key: str, entry: EntryStats) -> bool:
    return key in (ANY_ENTRY, entry.name, f"{entry.request_type} {entry.name}")
