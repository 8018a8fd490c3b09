"""Entry point for uploads: decode, find the format, parse."""

from __future__ import annotations

import json
import logging

from gateway.ingest.csv_format import is_macos_csv, parse_macos_csv
from gateway.ingest.decoding import decode
from gateway.ingest.errors import ChatFormatError
from gateway.ingest.json_format import parse_messages_json
from gateway.ingest.line_parser import parse_line_export
from gateway.ingest.models import ParsedChat

logger = logging.getLogger(__name__)

_NOT_JSON = object()


def parse_chat(data: bytes | str) -> ParsedChat:
    """Parse a KakaoTalk export or a JSON message list, detecting which it is.

    Tried in order: JSON (text starting with ``[`` or ``{`` that is valid JSON), the macOS CSV
    header, then the line-based PC/Android/iOS formats, whichever explains most lines.

    Args:
        data: The uploaded file as bytes (UTF-8 with or without BOM, UTF-16 with BOM, or
            CP949/EUC-KR) or as already decoded text.

    Returns:
        The chat with system lines removed. It may hold no message (an export of an empty
        room); :func:`gateway.ingest.select_dialogue` reports that.

    Raises:
        ChatFormatError: The input is in none of the accepted formats; the message lists them.
    """
    text = decode(data)
    if not text.strip():
        raise ChatFormatError("파일이 비어 있습니다.", "The file is empty.")
    value = _load_json(text)
    if value is not _NOT_JSON:
        chat = parse_messages_json(value)
    elif is_macos_csv(text):
        chat = parse_macos_csv(text)
    else:
        parsed = parse_line_export(text)
        if parsed is None:
            raise ChatFormatError()
        chat = parsed
    logger.info("parsed %s chat: %d messages", chat.format.value, len(chat.messages))
    return chat


def _load_json(text: str) -> object:
    """The decoded JSON value, or ``_NOT_JSON``: PC exports also start with ``[``."""
    if text.lstrip()[:1] not in ("[", "{"):
        return _NOT_JSON
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return _NOT_JSON
