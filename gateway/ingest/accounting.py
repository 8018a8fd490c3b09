"""Where every input line went: the parse report behind ``calle inspect`` and the tests.

A parser that drops a line silently loses a message without anyone noticing, so each parser
records one :class:`LineRole` per line (per row for the macOS CSV) and counts what it dropped
or rewrote by kind. The report holds kinds, counts and line numbers only, never chat text, so
it can be shown to operators and logged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum


def split_lines(text: str) -> list[str]:
    r"""The lines of ``text`` as the reports number them.

    Split at ``"\n"`` only (a message may hold other line separators); the break after the
    last line ends it rather than opening an empty one.
    """
    lines = text.split("\n")
    if len(lines) > 1 and not lines[-1]:
        lines.pop()
    return lines


class LineRole(str, Enum):
    """What one input line became; every line gets exactly one."""

    MESSAGE = "message"  # the first line of a message
    CONTINUATION = "continuation"  # a later line of a multi-line message
    SYSTEM = "system"  # a KakaoTalk notice (join, leave, policy), dropped
    HEADER = "header"  # room title or save date
    DAY = "day"  # a day separator
    BLANK = "blank"  # an empty line outside any message
    UNPLACED = "unplaced"  # text outside any message that is no known notice: reported


def _sorted(counts: Mapping[str, int]) -> dict[str, int]:
    # A plain dict, not a read-only proxy: reports cross process boundaries (pickle).
    return dict(sorted(counts.items()))


@dataclass(frozen=True)
class ParseReport:
    """How a chat was read.

    Attributes:
        encoding: The text encoding the bytes were decoded with (``"text"`` for input that
            was already text).
        repairs: What was repaired before parsing, e.g. ``"truncated_character"``.
        roles: One role per line of the decoded text (per CSV row for the macOS export);
            empty for JSON input.
        system: Dropped KakaoTalk notices by kind (``membership``, ``policy``, ``other``).
        placeholders: Messages that were a media placeholder, by kind (``photo``, ``video``,
            ``emoticon``, ...), including the emoticon-only messages that were dropped.
        dropped: Messages dropped by clean-up, by reason (``empty``, ``deleted``,
            ``emoticon``).
    """

    encoding: str = "text"
    repairs: tuple[str, ...] = ()
    roles: tuple[LineRole, ...] = ()
    system: Mapping[str, int] = field(default_factory=dict)
    placeholders: Mapping[str, int] = field(default_factory=dict)
    dropped: Mapping[str, int] = field(default_factory=dict)

    def lines_with(self, role: LineRole) -> list[int]:
        """The 1-based numbers of the lines that got ``role``."""
        return [number for number, got in enumerate(self.roles, start=1) if got is role]

    def role_counts(self) -> dict[str, int]:
        """How many lines got each role, every role listed."""
        counts = Counter(self.roles)
        return {role.value: counts[role] for role in LineRole}


class Tally:
    """The mutable counterpart of :class:`ParseReport` that a parser fills as it reads."""

    def __init__(self) -> None:
        self.roles: list[LineRole] = []
        self.system: Counter[str] = Counter()
        self.placeholders: Counter[str] = Counter()
        self.dropped: Counter[str] = Counter()

    def report(self) -> ParseReport:
        """The frozen report of what was tallied."""
        return ParseReport(
            roles=tuple(self.roles),
            system=_sorted(self.system),
            placeholders=_sorted(self.placeholders),
            dropped=_sorted(self.dropped),
        )
