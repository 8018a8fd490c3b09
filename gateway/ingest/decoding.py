"""Turn uploaded bytes into text with one kind of line break.

KakaoTalk writes UTF-8 (the PC app adds a BOM and CRLF line breaks), but files re-saved on
Korean Windows are often CP949 (a superset of EUC-KR), and Notepad's "Unicode" is UTF-16.
"""

from __future__ import annotations

import codecs

from gateway.ingest.errors import ChatFormatError

# Tried in order after a UTF-16 BOM check: UTF-8 is strict enough that CP949 text almost never
# decodes as UTF-8 by accident, while the reverse happens often.
_ENCODINGS = ("utf-8-sig", "cp949")

# iOS 17 puts a narrow no-break space before AM/PM; no-break spaces also come from copy-paste.
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " "})


def decode(data: bytes | bytearray | memoryview | str) -> str:
    r"""Decode an upload and normalize line breaks and odd spaces.

    Args:
        data: The upload as bytes, or text that was already decoded.

    Returns:
        The text without BOM, with ``"\n"`` line breaks and plain spaces.

    Raises:
        ChatFormatError: The bytes are neither UTF-8/UTF-16 (with BOM) nor CP949.
        TypeError: ``data`` is neither bytes-like nor ``str`` (a programming error).
    """
    if isinstance(data, str):
        text = data
    elif isinstance(data, bytes | bytearray | memoryview):
        text = _decode_bytes(bytes(data))
    else:
        raise TypeError(f"expected bytes or str, got {type(data).__name__}")
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return text.translate(_SPACES)


def _decode_bytes(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in _ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ChatFormatError(
        "파일의 문자 인코딩을 읽을 수 없습니다(UTF-8 또는 CP949/EUC-KR이어야 합니다).",
        "The file's text encoding cannot be read (expected UTF-8 or CP949/EUC-KR).",
    )
