"""Image-only users: ``POST /v1/images`` with summary-like prompts, PNG answers.

A 200 that is not a PNG is a failure.
"""

from __future__ import annotations

import random

from locust import HttpUser, task

from loadtest import hooks
from loadtest.checks import http_problem, image_problem

TIMEOUT_S = (10.0, 900.0)
SEED_BOUND = 2**32


class ImageUser(HttpUser):
    """Sends prompts and checks the pictures."""

    wait_time = hooks.think_time

    def on_start(self) -> None:
        """Take this user's own prompt sequence."""
        self.prompts = hooks.user_prompts(self.environment)

    @task
    def draw(self) -> None:
        """One prompt, drawn."""
        body = {"prompt": next(self.prompts), "seed": random.randrange(SEED_BOUND)}
        with self.client.post(
            "/v1/images", json=body, catch_response=True, timeout=TIMEOUT_S
        ) as response:
            if response.status_code != 200:
                response.failure(http_problem(response.status_code, response.content))
                return
            problem = image_problem(response.content)
            if problem:
                response.failure(problem)
