"""Step load: ``--step-users`` more users every ``--step-time`` seconds, up to ``--users``.

Add it to any scenario (``calle loadtest --shape step_load``, or
``locust -f loadtest/scenarios/mixed.py,loadtest/shapes/step_load.py``). ``--run-time`` ends
the test and ``--spawn-rate`` paces each step.
"""

from __future__ import annotations

from locust import LoadTestShape

from loadtest import hooks  # noqa: F401 (registers --step-users and --step-time)
from loadtest.step_plan import StepPlan


class StepLoadShape(LoadTestShape):
    """Follows :class:`loadtest.step_plan.StepPlan` with the run's options."""

    use_common_options = True

    def tick(self) -> tuple[int, float] | None:
        """The user count and spawn rate now, or ``None`` to stop."""
        options = self.runner.environment.parsed_options
        plan = StepPlan(
            step_users=options.step_users,
            step_seconds=options.step_time,
            max_users=options.num_users or options.step_users,
            run_seconds=options.run_time or None,
        )
        users = plan.users_at(self.get_run_time())
        return None if users is None else (users, float(options.spawn_rate or users))
