"""The step-load profile as arithmetic, kept apart from the Locust shape that follows it.

Stepping the user count (4, 8, 12, ... held for a while each) shows where latency starts to
climb, which one flat user count cannot.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StepPlan:
    """Add ``step_users`` every ``step_seconds`` up to ``max_users``, stop after ``run_seconds``.

    Attributes:
        step_users: Users added at each step (the first step starts with this many).
        step_seconds: How long each step is held.
        max_users: The ceiling (Locust's ``--users``).
        run_seconds: When the test ends (Locust's ``--run-time``); ``None`` runs until stopped.
    """

    step_users: int
    step_seconds: float
    max_users: int
    run_seconds: float | None = None

    def __post_init__(self) -> None:
        if self.step_users < 1 or self.max_users < 1 or self.step_seconds <= 0:
            raise ValueError("steps need step_users >= 1, max_users >= 1 and step_seconds > 0")

    def users_at(self, elapsed_s: float) -> int | None:
        """The user count ``elapsed_s`` seconds into the test, ``None`` once it is over."""
        if self.run_seconds is not None and elapsed_s >= self.run_seconds:
            return None
        step = int(elapsed_s // self.step_seconds) + 1
        return min(self.max_users, step * self.step_users)
