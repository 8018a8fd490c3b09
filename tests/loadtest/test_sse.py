"""The one Server-Sent Events parser."""

from __future__ import annotations

from loadtest.sse import ServerSentEvent, parse_events


def test_events_are_dispatched_at_their_blank_line():
    lines = [
        ": ping - 2024-05-02",
        "event: summary",
        'data: {"summary": "요약"}',
        "",
        "event: image",
        "data: a",
        "data: b",
        "",
        "",
        b'data: {"x": 1}',
    ]
    events = list(parse_events(lines))
    assert events == [
        ServerSentEvent("summary", '{"summary": "요약"}'),
        ServerSentEvent("image", "a\nb"),
        ServerSentEvent("message", '{"x": 1}'),
    ]
    assert events[0].json() == {"summary": "요약"}


def test_an_event_without_data_is_not_dispatched():
    assert list(parse_events(["event: done", "", ""])) == []
