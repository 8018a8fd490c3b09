"""The line-based KakaoTalk exports as data: one table of regexes per format.

All text exports (PC, Android, iOS; Korean and English) have the same structure: header lines,
day lines, message lines that start with a timestamp and a speaker, continuation lines with no
prefix, and system lines. They differ only in how those lines look, so each format is a tuple
of :class:`Rule` objects and :mod:`gateway.ingest.line_parser` runs any of them. Regex groups
use the names :mod:`gateway.ingest.clock` reads (``year``, ``month``/``month_name``, ``day``,
``meridiem``, ``hour``, ``minute``) plus ``speaker``, ``text`` and ``room``.

Patterns are matched against whole lines (``fullmatch``) with trailing spaces removed. Title and
save-date lines count as a header only where a header can be (see
:mod:`gateway.ingest.line_parser`), so chat text that happens to look like one is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from gateway.ingest.chat import ChatFormat


class LineKind(Enum):
    """What a line is; decides what the parser does with it."""

    MESSAGE = "message"  # starts a message: groups speaker and text, and a time
    DAY = "day"  # a day separator; may carry the date of the lines that follow
    SYSTEM = "system"  # a timestamped KakaoTalk notice, dropped
    TITLE = "title"  # header line naming the room (group room)
    SAVED = "saved"  # header line with the export date


@dataclass(frozen=True)
class Rule:
    """One kind of line in one or more formats."""

    kind: LineKind
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class LineFormat:
    """A line-based export format.

    Attributes:
        chat_format: The format's name.
        rules: Tried in order on each line; the first whose pattern and date/time fit wins.
        markers: Rules that only this format's app writes. Android and iOS English exports
            share their rules (both are parsed the same way); these decide which one a file
            came from when both explain the same number of lines.
    """

    chat_format: ChatFormat
    rules: tuple[Rule, ...]
    markers: frozenset[Rule] = frozenset()


def _rule(kind: LineKind, pattern: str) -> Rule:
    return Rule(kind, re.compile(pattern))


# The text may be empty, or start on the next line: ``민지 : `` loses its trailing space to the
# line's rstrip, so the space before the text is optional at the end of the line.
_SPEAKER_TEXT = r"(?P<speaker>\S.*?) :(?: (?P<text>.*))?"

_KO_DATE = r"(?P<year>\d{4})년 (?P<month>\d{1,2})월 (?P<day>\d{1,2})일"
_KO_TIME = r"(?P<meridiem>오전|오후) (?P<hour>\d{1,2}):(?P<minute>\d{2})"
_KO_WEEKDAY = r"[월화수목금토일]요일"
_IOS_KO_STAMP = (
    r"(?P<year>\d{4})\. (?P<month>\d{1,2})\. (?P<day>\d{1,2})\. "
    r"(?:(?P<meridiem>오전|오후) )?(?P<hour>\d{1,2}):(?P<minute>\d{2})"
)
_EN_DATE = r"(?P<month_name>[A-Za-z]{3,9})\.? (?P<day>\d{1,2}), (?P<year>\d{4})"
_EN_TIME = r"(?P<hour>\d{1,2}):(?P<minute>\d{2}) ?(?P<meridiem>[AaPp]\.?[Mm]\.?)"
_EN_WEEKDAY = r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day"

# Titles: "부산 여행 님과 카카오톡 대화", "부산 여행(4명)과 카카오톡 대화" (iOS),
# "부산 여행 62 카카오톡 대화" (a member count, no 님과); "Busan Trip with KakaoTalk Chats",
# "KakaoTalk Chats with Busan Trip", "KakaoTalk Chats Busan Trip (24)". Member counts in
# parentheses and file names are removed by :func:`gateway.ingest.room_names.clean_room`.
_KO_HEADER = (
    _rule(LineKind.TITLE, r"(?P<room>.+?)(?: 님과|\(\d+명\)과| \d+)? 카카오톡 대화"),
    _rule(LineKind.SAVED, r"저장한 날짜 ?: ?.+"),
)
_EN_HEADER = (
    _rule(LineKind.TITLE, r"(?P<room>.+?) with KakaoTalk Chats"),
    _rule(LineKind.TITLE, r"KakaoTalk Chats(?: with)? (?P<room>.+)"),
    _rule(LineKind.SAVED, r"Date Saved ?: ?.+"),
)


@dataclass(frozen=True)
class _MobileRules:
    """The rules every mobile export derives from its timestamp (date and time on each line)."""

    message: Rule  # 2024년 5월 2일 오후 9:03, 민지 : 내일 몇 시에 만나?
    system_comma: Rule  # 2024년 5월 2일 오후 9:05, 지훈님이 들어왔습니다.
    system_colon: Rule  # 2024. 5. 2. 21:05: 지훈님이 들어왔습니다.
    day: Rule  # 2024년 5월 2일 오후 9:00 (a bare timestamp opens each day on Android)

    @classmethod
    def for_stamp(cls, stamp: str) -> _MobileRules:
        return cls(
            message=_rule(LineKind.MESSAGE, f"{stamp}, {_SPEAKER_TEXT}"),
            system_comma=_rule(LineKind.SYSTEM, f"{stamp}, (?P<text>.+)"),
            system_colon=_rule(LineKind.SYSTEM, f"{stamp}: (?P<text>.+)"),
            day=_rule(LineKind.DAY, stamp),
        )

    @property
    def rules(self) -> tuple[Rule, ...]:
        return (self.message, self.day, self.system_comma, self.system_colon)


_ANDROID_KO = _MobileRules.for_stamp(f"{_KO_DATE} {_KO_TIME}")
_IOS_KO = _MobileRules.for_stamp(_IOS_KO_STAMP)
_KO_WEEKDAY_DATE = _rule(LineKind.DAY, f"{_KO_DATE} {_KO_WEEKDAY}")  # 2024년 5월 2일 목요일

# English mobile exports: "May 2, 2024, 9:03 PM, 민지 : ..." (also "... 2024 at 9:03 PM") and,
# in older Android versions, "9:03pm, May 2, 2024, 민지 : ...".
_EN_MOBILE = _MobileRules.for_stamp(f"{_EN_DATE}(?:,| at) {_EN_TIME}")
_EN_MOBILE_OLD = _MobileRules.for_stamp(f"{_EN_TIME}, {_EN_DATE}")
_EN_WEEKDAY_DATE = _rule(LineKind.DAY, f"{_EN_WEEKDAY}, {_EN_DATE}")  # Thursday, May 2, 2024
_EN_MOBILE_RULES = (*_EN_MOBILE.rules, *_EN_MOBILE_OLD.rules, _EN_WEEKDAY_DATE, *_EN_HEADER)

LINE_FORMATS: tuple[LineFormat, ...] = (
    LineFormat(
        ChatFormat.PC_WINDOWS_KO,
        (
            # [민지] [오후 9:03] 내일 몇 시에 만나?
            _rule(LineKind.MESSAGE, rf"\[(?P<speaker>.+?)\] \[{_KO_TIME}\] ?(?P<text>.*)"),
            # --------------- 2024년 5월 2일 목요일 ---------------
            _rule(LineKind.DAY, rf"-+ {_KO_DATE} {_KO_WEEKDAY} -+"),
            *_KO_HEADER,
        ),
    ),
    LineFormat(
        ChatFormat.PC_WINDOWS_EN,
        (
            # [민지] [9:03 PM] 내일 몇 시에 만나?
            _rule(LineKind.MESSAGE, rf"\[(?P<speaker>.+?)\] \[{_EN_TIME}\] ?(?P<text>.*)"),
            # --------------- Thursday, May 2, 2024 ---------------
            _rule(LineKind.DAY, rf"-+ {_EN_WEEKDAY}, {_EN_DATE} -+"),
            *_EN_HEADER,
        ),
    ),
    LineFormat(ChatFormat.ANDROID_KO, (*_ANDROID_KO.rules, _KO_WEEKDAY_DATE, *_KO_HEADER)),
    LineFormat(ChatFormat.IOS_KO, (*_IOS_KO.rules, _KO_WEEKDAY_DATE, *_KO_HEADER)),
    LineFormat(
        ChatFormat.ANDROID_EN,
        _EN_MOBILE_RULES,
        markers=frozenset(
            {
                _EN_MOBILE.day,
                _EN_MOBILE.system_comma,
                *_EN_MOBILE_OLD.rules,
            }
        ),
    ),
    LineFormat(
        ChatFormat.IOS_EN,
        _EN_MOBILE_RULES,
        markers=frozenset({_EN_MOBILE.system_colon, _EN_WEEKDAY_DATE}),
    ),
)
