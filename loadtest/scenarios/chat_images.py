"""Chat-to-image users on the streaming HTTP endpoint, the journey the service exists for.

Each user posts its next generated chat to ``/v1/chat-images`` with
``Accept: text/event-stream`` and reads the events as they come, with ``httpx-sse`` (Locust's
``HttpUser`` is built on ``requests``, which ``httpx-sse`` does not read, so this user keeps
its own ``httpx`` client and reports to Locust itself, as the gRPC user does). Three entries per
request: ``POST /v1/chat-images (stream)`` (the whole stream), ``SSE time-to-summary`` and
``SSE time-to-image`` (from sending the request to each event). A 200 whose stream brings no
summary text, no PNG, or an ``error`` event is a failure.
"""

from __future__ import annotations

import httpx
from httpx_sse import EventSource, SSEError
from locust import User, task

from loadtest import hooks
from loadtest.checks import STREAM_NAME, ChatImageTimer, decode_image, http_problem

REQUEST_TYPE = "SSE"
# Connect, then read: a picture under load can take minutes on CPU.
TIMEOUT = httpx.Timeout(900.0, connect=10.0)


class ChatImageUser(User):
    """Sends chats and waits for their summary, then their picture."""

    wait_time = hooks.think_time

    def on_start(self) -> None:
        """Take this user's own chat sequence and open its connection pool."""
        self.chats = hooks.user_chats(self.environment)
        self.client = httpx.Client(base_url=self.host, timeout=TIMEOUT)

    def on_stop(self) -> None:
        """Close the connections."""
        self.client.close()

    @task
    def chat_to_image(self) -> None:
        """One chat, streamed."""
        chat = next(self.chats)
        timer = ChatImageTimer(self.environment.events.request, REQUEST_TYPE)
        try:
            with self.client.stream(
                "POST",
                "/v1/chat-images",
                json=chat.chat_image_body(),
                headers={"Accept": "text/event-stream"},
            ) as response:
                if response.status_code != 200:
                    timer.fail(http_problem(response.status_code, response.read()))
                else:
                    for event in EventSource(response).iter_sse():
                        if event.event == "summary":
                            timer.summary(str(event.json().get("summary", "")))
                        elif event.event == "image":
                            timer.image(decode_image(event.json()))
                        elif event.event == "error":
                            timer.fail(f"error event {event.json()['error']['code']}")
        except (httpx.HTTPError, SSEError, ValueError, KeyError) as exc:
            timer.fail(f"broken stream: {type(exc).__name__}")
        timer.finish("POST", STREAM_NAME)
