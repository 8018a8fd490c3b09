"""The macOS export: a CSV file with the header ``Date,User,Message``.

Messages may hold commas, quotes and line breaks, so it is read with :mod:`csv`, never split by
hand. Rows with an empty ``User`` are KakaoTalk's system rows.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

from gateway.ingest.cleaning import make_message
from gateway.ingest.clock import date_of, time_of
from gateway.ingest.errors import ChatFormatError
from gateway.ingest.models import ChatFormat, Message, ParsedChat

_HEADER = ["Date", "User", "Message"]
_DATE = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2}) "
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
)


def is_macos_csv(text: str) -> bool:
    """Whether the first non-blank line is the macOS export header."""
    first = next((line for line in text.split("\n") if line.strip()), "")
    return next(csv.reader([first]), None) == _HEADER


def parse_macos_csv(text: str) -> ParsedChat:
    """Parse a macOS CSV export (see :func:`is_macos_csv`).

    Raises:
        ChatFormatError: A row has fewer than three columns or an unreadable date, or the CSV
            quoting is broken. The error names the line, never its content.
    """
    messages: list[Message] = []
    rows = csv.reader(io.StringIO(text))
    try:
        for row in rows:
            if row == _HEADER or not any(cell.strip() for cell in row):
                continue
            message = _row_message(row, rows.line_num)
            if message is not None:
                messages.append(message)
    except csv.Error as error:
        raise _row_error(rows.line_num) from error
    return ParsedChat(format=ChatFormat.MACOS_CSV, room=None, messages=messages)


def _row_message(row: list[str], line: int) -> Message | None:
    """The row's message; ``None`` for system rows (no user) and dropped messages.

    Columns after the third are joined back with commas: that is what an unquoted comma in a
    hand-edited file meant.
    """
    if len(row) < len(_HEADER):
        raise _row_error(line)
    stamp, user, *text = row
    if not user.strip():
        return None
    match = _DATE.fullmatch(stamp.strip())
    if match is None:
        raise _row_error(line)
    try:
        day, clock = date_of(match.groupdict()), time_of(match.groupdict())
    except ValueError as error:
        raise _row_error(line) from error
    when = datetime.combine(day, clock) if day is not None and clock is not None else None
    return make_message(user, ",".join(text), when)


def _row_error(line: int) -> ChatFormatError:
    return ChatFormatError(
        f"macOS CSV 파일의 {line}번째 줄을 읽을 수 없습니다.",
        f"Line {line} of the macOS CSV file cannot be read.",
    )
