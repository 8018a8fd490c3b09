"""Server-Sent Events read line by line, for the Locust users' ``requests`` responses.

The chat-image endpoint streams ``summary``, ``image``, ``done`` (or ``error``) events. Every
``httpx`` client here (the open-loop benchmark, ``calle demo``, the tests) reads them with
``httpx-sse``, which reads only ``httpx`` responses; Locust's ``HttpUser`` is built on
``requests``, so its users read the response's lines with :func:`parse_events`, and the time
an event arrives is the time its blank line arrives.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ServerSentEvent:
    """One event: its name (``message`` when unnamed) and its data lines joined."""

    event: str
    data: str

    def json(self) -> Any:
        """The data decoded as JSON."""
        return json.loads(self.data)


def parse_events(lines: Iterable[str | bytes]) -> Iterator[ServerSentEvent]:
    """Events from the lines of a ``text/event-stream`` body, as each one completes.

    Comment lines (``: ping``, keep-alives) are skipped; an event is dispatched at the blank
    line that ends it, or at the end of the stream.

    Args:
        lines: The body's lines without line breaks, as text or UTF-8 bytes.
    """
    event, data = "message", []
    for raw in lines:
        line = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        if not line:
            if data:
                yield ServerSentEvent(event, "\n".join(data))
            event, data = "message", []
        elif line.startswith("event:"):
            event = line.removeprefix("event:").strip()
        elif line.startswith("data:"):
            data.append(line.removeprefix("data:").removeprefix(" "))
    if data:
        yield ServerSentEvent(event, "\n".join(data))
