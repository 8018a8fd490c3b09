"""Shared helpers for the chat-ingestion tests: fixture files and exact message rows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.ingest import ParsedChat

FIXTURES = Path(__file__).parent / "fixtures"

Row = tuple[str, str, str | None]


@pytest.fixture
def fixture_bytes() -> Callable[[str], bytes]:
    """Read a fixture file's bytes."""
    return lambda name: (FIXTURES / name).read_bytes()


@pytest.fixture
def rows() -> Callable[[ParsedChat], list[Row]]:
    """A chat's messages as ``(speaker, text, "YYYY-MM-DD HH:MM:SS" or None)`` for comparison."""
    return lambda chat: [
        (m.speaker, m.text, None if m.time is None else str(m.time)) for m in chat.messages
    ]
