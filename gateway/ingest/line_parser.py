"""Detect which line-based export a text is and parse it with that format's rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from gateway.ingest.cleaning import make_message
from gateway.ingest.clock import date_of, time_of
from gateway.ingest.line_formats import LINE_FORMATS, LineFormat, LineKind, Rule
from gateway.ingest.models import Message, ParsedChat
from gateway.ingest.system_lines import is_system_notice

# Formats differ from their first lines on, so detection reads a prefix: scoring every format
# on every line of a large export would multiply the parse time by the number of formats.
_DETECTION_LINES = 2000


@dataclass(frozen=True)
class _Line:
    rule: Rule
    fields: dict[str, str | None]
    date: date | None
    time: time | None


@dataclass
class _Pending:
    """A message whose continuation lines may still follow."""

    speaker: str
    time: datetime | None
    lines: list[str]


def _finish(pending: _Pending | None, messages: list[Message]) -> None:
    """Close the open message, keeping it unless clean-up drops it."""
    if pending is None:
        return
    message = make_message(pending.speaker, "\n".join(pending.lines), pending.time)
    if message is not None:
        messages.append(message)


def parse_line_export(text: str) -> ParsedChat | None:
    r"""Parse a PC, Android or iOS text export.

    Args:
        text: Decoded text with ``"\n"`` line breaks.

    Returns:
        The chat, or ``None`` when no line-based format fits (no message or export-date line
        in the first lines).
    """
    lines = [line.rstrip() for line in text.split("\n")]
    chat_format = _detect(lines[:_DETECTION_LINES])
    return None if chat_format is None else _parse(chat_format, lines)


def _classify(chat_format: LineFormat, line: str) -> _Line | None:
    for rule in chat_format.rules:
        match = rule.pattern.fullmatch(line)
        if match is None:
            continue
        fields = match.groupdict()
        try:
            return _Line(rule, fields, date_of(fields), time_of(fields))
        except ValueError:  # looks like a timestamp but is no real date/time: plain text
            continue
    return None


def _detect(lines: list[str]) -> LineFormat | None:
    """The format that explains the most lines (then has the most marker lines), if any."""
    best: LineFormat | None = None
    best_score = (0, 0)
    for chat_format in LINE_FORMATS:
        classified = (_classify(chat_format, text) for text in lines)
        known = [line for line in classified if line is not None]
        if not any(line.rule.kind in {LineKind.MESSAGE, LineKind.SAVED} for line in known):
            continue
        score = (len(known), sum(line.rule in chat_format.markers for line in known))
        if score > best_score:
            best, best_score = chat_format, score
    return best


def _parse(chat_format: LineFormat, lines: list[str]) -> ParsedChat:
    room: str | None = None
    day: date | None = None
    pending: _Pending | None = None
    messages: list[Message] = []

    for text in lines:
        line = _classify(chat_format, text)
        if line is None and pending is not None and not is_system_notice(text):
            pending.lines.append(text)  # a bare line continues the open message
            continue
        _finish(pending, messages)
        pending = None
        if line is None:  # a PC-style notice, or a bare line outside any message
            continue
        kind = line.rule.kind
        if kind is LineKind.MESSAGE:
            on = line.date if line.date is not None else day
            when = None if on is None or line.time is None else datetime.combine(on, line.time)
            pending = _Pending(line.fields["speaker"] or "", when, [line.fields["text"] or ""])
        elif kind is LineKind.DAY:
            day = line.date if line.date is not None else day
        elif kind is LineKind.TITLE and room is None:
            room = (line.fields["room"] or "").strip() or None
    _finish(pending, messages)
    return ParsedChat(format=chat_format.chat_format, room=room, messages=messages)
