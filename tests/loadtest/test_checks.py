"""Content checks and the time-to-summary / time-to-image entries."""

from __future__ import annotations

import base64
from typing import Any

from loadtest.checks import (
    PNG_MAGIC,
    TIME_TO_IMAGE,
    TIME_TO_SUMMARY,
    ChatImageTimer,
    ResponseCheckError,
    decode_image,
    http_problem,
    image_problem,
    summary_problem,
)


class FakeHook:
    """Stands in for Locust's request event."""

    def __init__(self) -> None:
        self.fired: list[dict[str, Any]] = []

    def fire(self, **kwargs: Any) -> None:
        self.fired.append(kwargs)


PNG = PNG_MAGIC + b"rest of the file"


def test_a_good_stream_reports_both_moments_and_no_problem():
    hook = FakeHook()
    timer = ChatImageTimer(hook, "SSE")
    timer.summary("친구들이 부산에 간다.")
    timer.image(PNG)
    assert [(e["request_type"], e["name"], e["exception"]) for e in hook.fired] == [
        ("SSE", TIME_TO_SUMMARY, None),
        ("SSE", TIME_TO_IMAGE, None),
    ]
    assert hook.fired[0]["response_time"] <= hook.fired[1]["response_time"]
    assert hook.fired[1]["response_length"] == len(PNG)
    assert timer.outcome() is None


def test_an_empty_summary_and_a_non_png_image_are_failures():
    hook = FakeHook()
    timer = ChatImageTimer(hook, "gRPC")
    timer.summary("  ")
    timer.image(b"GIF89a")
    assert all(isinstance(e["exception"], ResponseCheckError) for e in hook.fired)
    assert timer.outcome() == "summary without text"  # the first problem wins


def test_a_stream_that_stops_early_is_a_failure():
    timer = ChatImageTimer(FakeHook(), "SSE")
    assert timer.outcome() == "stream ended before the summary"
    timer.summary("요약.")
    assert timer.outcome() == "stream ended before the image"
    timer.fail("error event timeout")
    assert timer.outcome() == "error event timeout"


def test_checks_and_helpers():
    assert summary_problem("요약") is None
    assert image_problem(b"") == "no image"
    assert image_problem(PNG) is None
    assert decode_image({"image_base64": base64.b64encode(PNG).decode()}) == PNG
    assert decode_image({"image_base64": "***"}) == b""
    assert decode_image({}) == b""
    assert http_problem(429, b'{"error": {"code": "gateway_busy"}}') == "HTTP 429 gateway_busy"
    assert http_problem(502, b"<html>") == "HTTP 502 no error body"


def test_finish_reports_the_whole_request_under_its_method_with_the_outcome():
    hook = FakeHook()
    timer = ChatImageTimer(hook, "SSE")
    timer.summary("요약.")
    timer.finish("POST", "/v1/chat-images (stream)")
    whole = hook.fired[-1]
    assert (whole["request_type"], whole["name"]) == ("POST", "/v1/chat-images (stream)")
    assert str(whole["exception"]) == "stream ended before the image"
    assert whole["response_time"] >= hook.fired[0]["response_time"]
