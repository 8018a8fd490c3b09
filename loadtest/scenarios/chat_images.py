"""Chat-to-image users on the streaming HTTP endpoint, the journey the service exists for.

Each user posts its next generated chat to ``/v1/chat-images`` with
``Accept: text/event-stream`` and reads the events as they come. Three entries per request:
``POST /v1/chat-images (stream)`` (the whole stream), ``SSE time-to-summary`` and
``SSE time-to-image`` (from sending the request to each event). A 200 whose stream brings no
summary text, no PNG, or an ``error`` event is a failure.
"""

from __future__ import annotations

import requests
from locust import HttpUser, task

from loadtest import hooks
from loadtest.checks import STREAM_NAME, ChatImageTimer, decode_image, http_problem
from loadtest.sse import parse_events

REQUEST_TYPE = "SSE"
# Connect, then read: a picture under load can take minutes on CPU.
TIMEOUT_S = (10.0, 900.0)


class ChatImageUser(HttpUser):
    """Sends chats and waits for their summary, then their picture."""

    wait_time = hooks.think_time

    def on_start(self) -> None:
        """Take this user's own chat sequence."""
        self.chats = hooks.user_chats(self.environment)

    @task
    def chat_to_image(self) -> None:
        """One chat, streamed."""
        chat = next(self.chats)
        timer = ChatImageTimer(self.environment.events.request, REQUEST_TYPE)
        with self.client.post(
            "/v1/chat-images",
            json=chat.chat_image_body(),
            headers={"Accept": "text/event-stream"},
            stream=True,
            catch_response=True,
            name=STREAM_NAME,
            timeout=TIMEOUT_S,
        ) as response:
            if response.status_code != 200:
                response.failure(http_problem(response.status_code, response.content))
                return
            try:
                for event in parse_events(response.iter_lines()):
                    if event.event == "summary":
                        timer.summary(str(event.json().get("summary", "")))
                    elif event.event == "image":
                        timer.image(decode_image(event.json()))
                    elif event.event == "error":
                        timer.fail(f"error event {event.json()['error']['code']}")
            except (requests.RequestException, ValueError, KeyError) as exc:
                timer.fail(f"broken stream: {type(exc).__name__}")
            # Locust timed the headers only; the entry covers the whole stream.
            response.request_meta["response_time"] = timer.elapsed_ms()
            problem = timer.outcome()
            if problem:
                response.failure(problem)
            else:
                response.success()
