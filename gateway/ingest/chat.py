"""A chat as ingestion sees it: its format, messages, the parsed chat, the dialogue handed on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from gateway.ingest.accounting import ParseReport


class ChatFormat(str, Enum):
    """Where a chat came from; the value is a stable name safe to log and to return."""

    PC_WINDOWS_KO = "pc_windows_ko"
    PC_WINDOWS_EN = "pc_windows_en"
    MACOS_CSV = "macos_csv"
    ANDROID_KO = "android_ko"
    ANDROID_EN = "android_en"
    IOS_KO = "ios_ko"
    IOS_EN = "ios_en"
    JSON = "json"


@dataclass(frozen=True)
class Message:
    r"""One chat message after clean-up.

    Attributes:
        speaker: The sender's display name as exported (real name: never log it).
        text: The message; lines of a multi-line message are joined with ``"\n"`` and media
            placeholders are already replaced by tags such as ``[사진]``.
        time: When it was sent (naive local time as exported), or ``None`` when the input did
            not say.
    """

    speaker: str
    text: str
    time: datetime | None


@dataclass(frozen=True)
class ParsedChat:
    """A whole chat: system lines are gone, messages are in export order.

    Attributes:
        format: The detected input format.
        room: The chat room's name from the export header, when the format has one.
        messages: The messages, oldest first.
        report: Where every input line went and what was dropped (kinds and counts only).
    """

    format: ChatFormat
    room: str | None
    messages: list[Message]
    report: ParseReport = field(default_factory=ParseReport)


@dataclass(frozen=True)
class SelectionReport:
    """What selection chose and why, in counts (safe to log and to show operators).

    Attributes:
        chat_messages: Messages in the whole chat.
        burst_messages: Messages in the latest burst (after the last long silence).
        candidate_messages: Messages considered: the burst, or more when it was extended past
            the gap to reach the minimum.
        min_messages: The minimum asked for.
        min_speakers: The minimum number of distinct speakers asked for.
        minimum_met: Whether the candidates hold both minimums (not when the chat does not).
        budget_dropped: Oldest candidates left out to fit the token budget.
        reason: One sentence saying why the dialogue is what it is.
    """

    chat_messages: int
    burst_messages: int
    candidate_messages: int
    min_messages: int
    min_speakers: int
    minimum_met: bool
    budget_dropped: int
    reason: str

    @property
    def extended_past_gap(self) -> bool:
        """Whether messages before the latest burst were taken to reach the minimum."""
        return self.candidate_messages > self.burst_messages


@dataclass(frozen=True)
class Dialogue:
    r"""The part of a chat sent to the summarizer, with speakers pseudonymized.

    Attributes:
        text: One turn per line, ``"P01: 내일 몇 시에 만나?"``, joined with ``"\n"``.
        message_count: How many messages ``text`` holds.
        speaker_count: How many distinct speakers wrote them.
        start: Time of the earliest selected message, ``None`` when no time is known.
        end: Time of the latest selected message, ``None`` when no time is known.
        selection: What was chosen and why (set by :func:`gateway.ingest.select_dialogue`).
    """

    text: str
    message_count: int
    speaker_count: int
    start: datetime | None
    end: datetime | None
    selection: SelectionReport | None = None
