"""The macOS export: a CSV file with the header ``Date,User,Message``.

Messages may hold commas, quotes and line breaks, so it is read with :mod:`csv`, never split by
hand. Rows with an empty ``User`` are KakaoTalk's system rows, and so are rows whose text is a
membership notice that starts with the user's own name (``"민지","민지 invited 지훈 and 수아."``):
the macOS app puts the actor of a join, leave or invite in the User column.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

from gateway.ingest.accounting import LineRole, Tally, split_lines
from gateway.ingest.chat import ChatFormat, Message, ParsedChat
from gateway.ingest.cleaning import make_message
from gateway.ingest.clock import date_of, time_of
from gateway.ingest.errors import ChatFormatError
from gateway.ingest.system_lines import MEMBERSHIP, OTHER, notice_kind

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

    The report has one role per line of ``text``: a row's first line is its role (message,
    system, header, blank) and the other lines of a quoted multi-line message are
    continuations.

    Raises:
        ChatFormatError: A row has fewer than three columns or an unreadable date, or the CSV
            quoting is broken. The error names the line, never its content.
    """
    messages: list[Message] = []
    tally = Tally()
    rows = csv.reader(io.StringIO(text))
    try:
        for row in rows:
            tally.roles.append(_row_role(row, rows.line_num, tally, messages))
            lines_read = rows.line_num - len(tally.roles)
            tally.roles.extend([LineRole.CONTINUATION] * lines_read)
    except csv.Error as error:
        raise _row_error(rows.line_num) from error
    tally.roles.extend([LineRole.BLANK] * (len(split_lines(text)) - len(tally.roles)))
    return ParsedChat(
        format=ChatFormat.MACOS_CSV, room=None, messages=messages, report=tally.report()
    )


def _row_role(row: list[str], line: int, tally: Tally, messages: list[Message]) -> LineRole:
    """Read one row into ``messages`` or ``tally`` and say what its first line was."""
    if row == _HEADER:
        return LineRole.HEADER
    if not any(cell.strip() for cell in row):
        return LineRole.BLANK
    if len(row) < len(_HEADER):
        raise _row_error(line)
    system = _system_kind(row)
    if system is not None:
        tally.system[system] += 1
        return LineRole.SYSTEM
    message = _row_message(row, line, tally)
    if message is not None:
        messages.append(message)
    return LineRole.MESSAGE


def _system_kind(row: list[str]) -> str | None:
    """The notice kind of a system row: no user, or a membership notice by the user."""
    _, user, *cells = row
    text = ",".join(cells).strip()
    kind = notice_kind(text)
    if not user.strip():
        return kind or OTHER
    return kind if kind == MEMBERSHIP and text.startswith(user.strip()) else None


def _row_message(row: list[str], line: int, tally: Tally) -> Message | None:
    """The row's message; ``None`` when clean-up drops it.

    Columns after the third are joined back with commas: that is what an unquoted comma in a
    hand-edited file meant.
    """
    stamp, user, *text = row
    match = _DATE.fullmatch(stamp.strip())
    if match is None:
        raise _row_error(line)
    try:
        day, clock = date_of(match.groupdict()), time_of(match.groupdict())
    except ValueError as error:
        raise _row_error(line) from error
    when = datetime.combine(day, clock) if day is not None and clock is not None else None
    return make_message(user, ",".join(text), when, tally)


def _row_error(line: int) -> ChatFormatError:
    return ChatFormatError(
        f"macOS CSV 파일의 {line}번째 줄을 읽을 수 없습니다.",
        f"Line {line} of the macOS CSV file cannot be read.",
    )
