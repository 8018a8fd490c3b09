"""Messages sent as JSON: ``[{"speaker": ..., "text": ..., "time": ...}, ...]``.

``time`` is optional (ISO-8601 or ``null``). Every shape problem is reported with the item's
position (1-based) and the field, never with its content.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from gateway.ingest.accounting import Tally
from gateway.ingest.chat import ChatFormat, Message, ParsedChat
from gateway.ingest.cleaning import make_message
from gateway.ingest.errors import ChatFormatError


def parse_messages_json(obj: object) -> ParsedChat:
    """Validate decoded JSON and turn it into a chat.

    Messages go through the same clean-up as exports (media tags, deleted and emoticon-only
    messages dropped). Unknown keys are ignored.

    Args:
        obj: The decoded JSON value: a list of objects with ``speaker`` (non-empty string),
            ``text`` (string) and optionally ``time`` (ISO-8601 string or null).

    Raises:
        ChatFormatError: ``obj`` is not such a list, or times mix with and without a time zone
            (they could not be compared to find the latest conversation).
    """
    if not isinstance(obj, list):
        raise _shape_error(
            "JSON은 메시지 객체의 배열이어야 합니다",
            "the JSON must be an array of message objects",
        )
    messages: list[Message] = []
    tally = Tally()
    for position, item in enumerate(obj, start=1):
        message = _message(item, position, tally)
        if message is not None:
            messages.append(message)
    zones = {message.time.tzinfo is None for message in messages if message.time is not None}
    if len(zones) > 1:
        raise _shape_error(
            "시간대가 있는 time과 없는 time을 섞을 수 없습니다",
            "times with and without a time zone cannot be mixed",
        )
    return ParsedChat(format=ChatFormat.JSON, room=None, messages=messages, report=tally.report())


def _message(item: object, position: int, tally: Tally) -> Message | None:
    if not isinstance(item, Mapping):
        raise _shape_error(
            f"{position}번째 항목이 객체가 아닙니다", f"item {position} is not an object"
        )
    speaker, text, time = item.get("speaker"), item.get("text"), item.get("time")
    if not isinstance(speaker, str) or not speaker.strip():
        raise _shape_error(
            f"{position}번째 항목의 speaker는 비어 있지 않은 문자열이어야 합니다",
            f"item {position}: 'speaker' must be a non-empty string",
        )
    if not isinstance(text, str):
        raise _shape_error(
            f"{position}번째 항목의 text는 문자열이어야 합니다",
            f"item {position}: 'text' must be a string",
        )
    return make_message(speaker, text, _time(time, position), tally)


def _time(value: object, position: int) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _shape_error(
        f"{position}번째 항목의 time은 ISO-8601 문자열이거나 null이어야 합니다",
        f"item {position}: 'time' must be an ISO-8601 string or null",
    )


def _shape_error(reason_ko: str, reason_en: str) -> ChatFormatError:
    return ChatFormatError(
        f"JSON 메시지 목록의 형식이 올바르지 않습니다: {reason_ko}.",
        f"The JSON message list is malformed: {reason_en}.",
    )
