"""Data handed from the parsers to dialogue selection and from selection to the summarizer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum


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
    """

    format: ChatFormat
    room: str | None
    messages: list[Message]


@dataclass(frozen=True)
class Dialogue:
    r"""The part of a chat sent to the summarizer, with speakers pseudonymized.

    Attributes:
        text: One turn per line, ``"P01: 내일 몇 시에 만나?"``, joined with ``"\n"``.
        message_count: How many messages ``text`` holds.
        speaker_count: How many distinct speakers wrote them.
        start: Time of the earliest selected message, ``None`` when no time is known.
        end: Time of the latest selected message, ``None`` when no time is known.
    """

    text: str
    message_count: int
    speaker_count: int
    start: datetime | None
    end: datetime | None
