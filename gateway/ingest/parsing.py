"""Entry point for uploads: decode, find the format, parse."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

from gateway.ingest.chat import ParsedChat
from gateway.ingest.csv_format import is_macos_csv, parse_macos_csv
from gateway.ingest.decoding import decode_upload, looks_misdecoded
from gateway.ingest.errors import ChatFormatError
from gateway.ingest.json_format import parse_messages_json
from gateway.ingest.line_parser import parse_line_export

logger = logging.getLogger(__name__)

_NOT_JSON = object()


def parse_chat(data: bytes | str) -> ParsedChat:
    """Parse a KakaoTalk export or a JSON message list, detecting which it is.

    Tried in order: JSON (text starting with ``[`` or ``{`` that is valid JSON), the macOS CSV
    header, then the line-based PC/Android/iOS formats, whichever explains most lines.

    Args:
        data: The uploaded file as bytes (UTF-8 with or without BOM, UTF-16 with or without
            BOM, or CP949/EUC-KR; see :mod:`gateway.ingest.decoding` for the repairs) or as
            already decoded text.

    Returns:
        The chat with system lines removed, and the report of where every line went. It may
        hold no message (an export of an empty room); :func:`gateway.ingest.select_dialogue`
        reports that.

    Raises:
        ChatFormatError: The input is in none of the accepted formats (the message lists them),
            or was garbled by a wrong-encoding round trip (the message says so).
    """
    decoded = decode_upload(data)
    text = decoded.text
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
            raise _misdecoded_error() if looks_misdecoded(text) else ChatFormatError()
        chat = parsed
    chat = replace(
        chat, report=replace(chat.report, encoding=decoded.encoding, repairs=decoded.repairs)
    )
    logger.info(
        "parsed %s chat (%s%s): %d messages",
        chat.format.value,
        decoded.encoding,
        "".join(f", repaired {repair}" for repair in decoded.repairs),
        len(chat.messages),
    )
    return chat


def _misdecoded_error() -> ChatFormatError:
    return ChatFormatError(
        "파일이 잘못된 문자 인코딩으로 열린 뒤 다시 저장되어 글자가 깨졌습니다(복구할 수 없음). "
        "카카오톡에서 대화를 다시 내보내 원본 파일을 보내 주세요.",
        "The file was opened with the wrong text encoding and saved again, which garbled its "
        "characters beyond repair (mojibake). Export the chat from KakaoTalk again and send "
        "the original file.",
    )


def _load_json(text: str) -> object:
    """The decoded JSON value, or ``_NOT_JSON``: PC exports also start with ``[``."""
    if text.lstrip()[:1] not in ("[", "{"):
        return _NOT_JSON
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return _NOT_JSON
