"""Detect which line-based export a text is and parse it with that format's rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from gateway.ingest.accounting import LineRole, Tally, split_lines
from gateway.ingest.chat import Message, ParsedChat
from gateway.ingest.cleaning import make_message
from gateway.ingest.clock import date_of, time_of
from gateway.ingest.line_formats import LINE_FORMATS, LineFormat, LineKind, Rule
from gateway.ingest.room_names import clean_room
from gateway.ingest.system_lines import OTHER, notice_kind

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


def parse_line_export(text: str) -> ParsedChat | None:
    r"""Parse a PC, Android or iOS text export.

    Args:
        text: Decoded text with ``"\n"`` line breaks.

    Returns:
        The chat, or ``None`` when no line-based format fits (no message or export-date line
        in the first lines).
    """
    lines = [line.rstrip() for line in split_lines(text)]
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
    """Read every line into a message, a continuation, a notice or a header, and say which.

    A bare line continues the open message unless it is a KakaoTalk notice; outside any
    message it is a notice, a blank or an unplaced line (reported by number, never dropped
    unaccounted).
    """
    classified = [_classify(chat_format, text) for text in lines]
    tally = Tally()
    room: str | None = None
    day: date | None = None
    pending: _Pending | None = None
    messages: list[Message] = []
    seen_message = False

    def finish() -> None:
        nonlocal pending
        if pending is not None:
            message = make_message(pending.speaker, "\n".join(pending.lines), pending.time, tally)
            if message is not None:
                messages.append(message)
        pending = None

    for index, text in enumerate(lines):
        line = classified[index]
        header = line is not None and line.rule.kind in _HEADER_KINDS
        if header and not _is_header(classified, index, seen_message):
            line = None  # looks like a title or save date, but stands where no header can be
        if line is None:
            notice = notice_kind(text)
            if pending is not None and notice is None:
                pending.lines.append(text)  # a bare line continues the open message
                tally.roles.append(LineRole.CONTINUATION)
                continue
            finish()
            if notice is not None:  # a PC-style notice
                tally.system[notice] += 1
                tally.roles.append(LineRole.SYSTEM)
            else:
                tally.roles.append(LineRole.BLANK if not text.strip() else LineRole.UNPLACED)
            continue
        finish()
        kind = line.rule.kind
        if kind is LineKind.MESSAGE:
            seen_message = True
            on = line.date if line.date is not None else day
            when = None if on is None or line.time is None else datetime.combine(on, line.time)
            pending = _Pending(line.fields["speaker"] or "", when, [line.fields["text"] or ""])
            tally.roles.append(LineRole.MESSAGE)
        elif kind is LineKind.DAY:
            day = line.date if line.date is not None else day
            tally.roles.append(LineRole.DAY)
        elif kind is LineKind.SYSTEM:
            tally.system[notice_kind(line.fields["text"] or "") or OTHER] += 1
            tally.roles.append(LineRole.SYSTEM)
        else:
            if kind is LineKind.TITLE and room is None:
                room = clean_room(line.fields["room"])
            tally.roles.append(LineRole.HEADER)
    finish()
    return ParsedChat(
        format=chat_format.chat_format, room=room, messages=messages, report=tally.report()
    )


_HEADER_KINDS = frozenset({LineKind.TITLE, LineKind.SAVED})


def _is_header(classified: list[_Line | None], index: int, seen_message: bool) -> bool:
    """Whether the title or save-date line at ``index`` stands where a header can.

    Before the first message, anywhere. After it (two exports pasted into one file) only as
    the pair an export starts with: a title directly followed by its save date, or that date.
    """
    if not seen_message:
        return True

    def kind_at(at: int) -> LineKind | None:
        line = classified[at] if 0 <= at < len(classified) else None
        return None if line is None else line.rule.kind

    if kind_at(index) is LineKind.TITLE:
        return kind_at(index + 1) is LineKind.SAVED
    return kind_at(index - 1) is LineKind.TITLE
