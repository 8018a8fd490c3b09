"""Summary-only users: ``POST /v1/summaries`` with generated chats of every format.

A 200 whose summary has no text is a failure.
"""

from __future__ import annotations

from locust import HttpUser, task

from loadtest import hooks
from loadtest.checks import http_problem, summary_problem

TIMEOUT_S = (10.0, 300.0)


class SummaryUser(HttpUser):
    """Sends chats and checks their summaries."""

    wait_time = hooks.think_time

    def on_start(self) -> None:
        """Take this user's own chat sequence."""
        self.chats = hooks.user_chats(self.environment)

    @task
    def summarize(self) -> None:
        """One chat, summarized."""
        chat = next(self.chats)
        with self.client.post(
            "/v1/summaries", json=chat.request_body(), catch_response=True, timeout=TIMEOUT_S
        ) as response:
            if response.status_code != 200:
                response.failure(http_problem(response.status_code, response.content))
                return
            try:
                problem = summary_problem(str(response.json().get("summary", "")))
            except ValueError:
                problem = "summary response is not JSON"
            if problem:
                response.failure(problem)
