"""What counts as a good answer, and the time-to-summary and time-to-image entries.

A load test that only looks at status codes counts a 200 without a picture as a success. Every
user checks content here: a summary must have text, an image must be a PNG, an ``error`` event
is a failure. A chat-to-image request also reports its two moments as entries of their own
(``time-to-summary``, ``time-to-image``), because those are what people wait for; the HTTP and
gRPC users share :class:`ChatImageTimer` so both report them the same way.

Nothing here imports Locust (importing it patches the whole process with gevent): the request
hook is passed in, so tests can use a fake one.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from typing import Any, Protocol

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TIME_TO_SUMMARY = "time-to-summary"
TIME_TO_IMAGE = "time-to-image"
# The streaming chat-image request as a whole.
STREAM_NAME = "/v1/chat-images (stream)"


class ResponseCheckError(Exception):
    """A response that arrived but is not what the endpoint promises."""


class RequestHook(Protocol):
    """Locust's ``environment.events.request`` (anything with its ``fire``)."""

    def fire(self, **kwargs: Any) -> None:
        """Report one request."""


def summary_problem(text: str) -> str | None:
    """Why a summary is not acceptable, or ``None``."""
    return None if text.strip() else "summary without text"


def image_problem(png: bytes) -> str | None:
    """Why an image is not acceptable, or ``None``."""
    if not png:
        return "no image"
    return None if png.startswith(PNG_MAGIC) else "image is not a PNG"


def http_problem(status: int, body: bytes) -> str:
    """A failure message for an error response: status and the error schema's code.

    Locust groups failures by message, so only the stable code is kept (never the body, whose
    details could quote a request).
    """
    try:
        code = json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        code = "no error body"
    return f"HTTP {status} {code}"


def decode_image(payload: Any) -> bytes:
    """The PNG of an ``ImageResponse`` (``image_base64``), empty when there is none."""
    try:
        return base64.b64decode(payload["image_base64"], validate=True)
    except (KeyError, TypeError, binascii.Error):
        return b""


class ChatImageTimer:
    """Times one chat-to-image request and reports its summary and image as entries.

    Args:
        hook: Where requests are reported (Locust's request event).
        request_type: The entries' type column (``SSE``, ``gRPC``).
    """

    def __init__(self, hook: RequestHook, request_type: str) -> None:
        self._hook = hook
        self._request_type = request_type
        self._started = time.perf_counter()
        self._start_time = time.time()
        self.problem: str | None = None
        self.has_summary = False
        self.has_image = False

    def elapsed_ms(self) -> float:
        """Milliseconds since the request was sent."""
        return (time.perf_counter() - self._started) * 1000

    def summary(self, text: str) -> None:
        """The summary arrived."""
        self.has_summary = True
        self._report(TIME_TO_SUMMARY, len(text.encode("utf-8")), summary_problem(text))

    def image(self, png: bytes) -> None:
        """The image arrived."""
        self.has_image = True
        self._report(TIME_TO_IMAGE, len(png), image_problem(png))

    def fail(self, problem: str) -> None:
        """Something else went wrong (an ``error`` event, a broken stream); the first one wins."""
        self.problem = self.problem or problem

    def outcome(self) -> str | None:
        """Why the whole request failed, or ``None`` when it brought a good summary and image."""
        if self.problem is None and not self.has_summary:
            return "stream ended before the summary"
        if self.problem is None and not self.has_image:
            return "stream ended before the image"
        return self.problem

    def finish(self, method: str, name: str) -> None:
        """Report the whole request as entry ``method name``: its time and :meth:`outcome`.

        For users whose client does not report to Locust by itself (the streaming HTTP user;
        the entry is named as Locust's ``HttpUser`` names a request).
        """
        self._fire(method, name, 0, self.outcome())

    def _report(self, name: str, length: int, problem: str | None) -> None:
        if problem:
            self.fail(problem)
        self._fire(self._request_type, name, length, problem)

    def _fire(self, request_type: str, name: str, length: int, problem: str | None) -> None:
        self._hook.fire(
            request_type=request_type,
            name=name,
            response_time=self.elapsed_ms(),
            response_length=length,
            exception=ResponseCheckError(problem) if problem else None,
            context={},
            start_time=self._start_time,
        )
