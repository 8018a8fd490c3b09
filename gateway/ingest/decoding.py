"""Turn uploaded bytes into text with one kind of line break, repairing what can be repaired.

KakaoTalk writes UTF-8 (the PC app adds a BOM and CRLF line breaks), but files re-saved on
Korean Windows are often CP949 (a superset of EUC-KR), and Notepad's "Unicode" is UTF-16, with or
without a BOM. Damage seen in real uploads, and what is done about it:

- a download cut inside a multi-byte character: the partial character is dropped and the
  repair ``truncated_character`` reported;
- UTF-16 without a BOM: recognized by its NUL bytes (timestamps, digits and spaces are ASCII,
  and UTF-8/CP949 text never holds a NUL byte);
- mojibake, a UTF-8 or CP949 file opened as Windows-1252/Latin-1 and saved again: repaired,
  UTF-8 by ``ftfy`` (``mojibake_utf8``), CP949 by encoding back through ftfy's sloppy
  Windows-1252 codec (``mojibake_cp949``; ftfy only undoes UTF-8 misreadings);
- a UTF-8 file opened as CP949 and saved again loses bytes for good: :func:`looks_misdecoded`
  lets the parser say so instead of "not an export".
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

import ftfy
import ftfy.bad_codecs  # registers the "sloppy-windows-1252" codec

from gateway.ingest.errors import ChatFormatError

# Tried in order after the UTF-16 checks: UTF-8 is strict enough that CP949 text almost never
# decodes as UTF-8 by accident, while the reverse happens often.
_ENCODINGS = ("utf-8-sig", "cp949")

# iOS 17 puts a narrow no-break space before AM/PM; no-break spaces also come from copy-paste.
# A BOM inside the text is what is left of a second export pasted after the first.
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\ufeff": None})

TRUNCATED = "truncated_character"
MOJIBAKE_UTF8 = "mojibake_utf8"
MOJIBAKE_CP949 = "mojibake_cp949"

# UTF-16 detection reads this many bytes; a tenth of its code units must have a zero byte, nearly
# all on the same side.
_UTF16_SAMPLE = 4096
_UTF16_MIN_ZERO_SHARE = 0.1
# Mojibake of Korean text is mostly Latin-1 letters (ì, ë, ¹, Á): at least this many, and more
# of them than Hangul syllables (the same count of U+FFFD or Hanja marks a lossy misreading).
_MOJIBAKE_MIN_LATIN = 10


@dataclass(frozen=True)
class Decoded:
    r"""Decoded text and how it was obtained.

    Attributes:
        text: The text without BOM, with ``"\n"`` line breaks and plain spaces.
        encoding: The encoding used (``"text"`` when the input was already text).
        repairs: What was repaired (:data:`TRUNCATED`, :data:`MOJIBAKE_UTF8`,
            :data:`MOJIBAKE_CP949`), in order.
    """

    text: str
    encoding: str
    repairs: tuple[str, ...] = ()


def decode(data: bytes | bytearray | memoryview | str) -> str:
    r"""Decode an upload and normalize line breaks and odd spaces (see :func:`decode_upload`)."""
    return decode_upload(data).text


def decode_upload(data: bytes | bytearray | memoryview | str) -> Decoded:
    r"""Decode an upload, repair what can be repaired, normalize line breaks and odd spaces.

    Args:
        data: The upload as bytes, or text that was already decoded.

    Returns:
        The text with ``"\n"`` line breaks, the encoding and the repairs made.

    Raises:
        ChatFormatError: The bytes are neither UTF-8/UTF-16 nor CP949.
        TypeError: ``data`` is neither bytes-like nor ``str`` (a programming error).
    """
    if isinstance(data, str):
        text, encoding, repairs = data, "text", ()
    elif isinstance(data, bytes | bytearray | memoryview):
        text, encoding, repairs = _decode_bytes(bytes(data))
    else:
        raise TypeError(f"expected bytes or str, got {type(data).__name__}")
    text, mojibake = _repair_mojibake(text)
    if mojibake is not None:
        repairs = (*repairs, mojibake)
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_SPACES)
    return Decoded(text, encoding, repairs)


def looks_misdecoded(text: str) -> bool:
    """Whether ``text`` looks like a file decoded with the wrong code page and saved again.

    Such a file cannot be repaired when the misreading lost bytes (a UTF-8 file opened as
    CP949 comes back with U+FFFD or ``?`` where bytes were no CP949, and Hanja where Hangul
    was), but it can be told apart from a file that is simply no export: many replacement
    characters, or many Hanja beside few Hangul syllables.
    """
    hanja = _count_hanja(text)
    return text.count("\ufffd") >= _MOJIBAKE_MIN_LATIN or (
        hanja >= _MOJIBAKE_MIN_LATIN and hanja * 4 >= _count_hangul(text)
    )


def _decode_bytes(data: bytes) -> tuple[str, str, tuple[str, ...]]:
    candidates: list[str] = []
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates.append("utf-16")
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        candidates.append(utf16)
    for encoding in (*candidates, *_ENCODINGS):
        found = _decode_tolerating_cut(data, encoding)
        if found is not None:
            text, repairs = found
            return text, "utf-8" if encoding == "utf-8-sig" else encoding, repairs
    raise ChatFormatError(
        "파일의 문자 인코딩을 읽을 수 없습니다(UTF-8, UTF-16 또는 CP949/EUC-KR이어야 합니다).",
        "The file's text encoding cannot be read (expected UTF-8, UTF-16 or CP949/EUC-KR).",
    )


def _decode_tolerating_cut(data: bytes, encoding: str) -> tuple[str, tuple[str, ...]] | None:
    """``data`` decoded, without a partial last character; ``None`` when it is not ``encoding``.

    A download cut inside a character leaves an incomplete sequence at the very end; anywhere
    else an undecodable byte means another encoding.
    """
    try:
        return data.decode(encoding), ()
    except UnicodeDecodeError as error:
        if error.end < len(data) or len(data) - error.start >= 4:
            return None
        cut = data[: error.start]
    try:
        return cut.decode(encoding), (TRUNCATED,)
    except UnicodeDecodeError:
        return None


def _utf16_without_bom(data: bytes) -> str | None:
    """``"utf-16-le"``/``"utf-16-be"`` when ``data`` looks like UTF-16 without a BOM."""
    sample = data[:_UTF16_SAMPLE]
    units = len(sample) // 2
    if units == 0:
        return None
    zeros_even, zeros_odd = sample[0::2].count(0), sample[1::2].count(0)
    # Some Hangul syllables have a zero byte too (U+AC00 가), so the other side may hold a few.
    if zeros_odd >= units * _UTF16_MIN_ZERO_SHARE and zeros_even * 4 < zeros_odd:
        return "utf-16-le"
    if zeros_even >= units * _UTF16_MIN_ZERO_SHARE and zeros_odd * 4 < zeros_even:
        return "utf-16-be"
    return None


def _repair_mojibake(text: str) -> tuple[str, str | None]:
    """Undo a Windows-1252/Latin-1 misreading of a UTF-8 or CP949 file, when that is what it is.

    Only text that looks like Korean mojibake is touched (many Latin-1 letters, fewer Hangul
    syllables), and a repair is kept only if it yields more Hangul than it started with.
    """
    latin = sum(1 for char in text if "\u0080" <= char <= "\u00ff")
    hangul = _count_hangul(text)
    if latin < _MOJIBAKE_MIN_LATIN or latin <= hangul:
        return text, None
    repaired = ftfy.fix_encoding(text)
    if _count_hangul(repaired) > hangul:
        return repaired, MOJIBAKE_UTF8
    for codepage in ("sloppy-windows-1252", "latin-1"):
        try:
            repaired = text.encode(codepage).decode("cp949")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if _count_hangul(repaired) > hangul:
            return repaired, MOJIBAKE_CP949
    return text, None


def _count_hangul(text: str) -> int:
    return sum(1 for char in text if "\uac00" <= char <= "\ud7a3")


def _count_hanja(text: str) -> int:
    return sum(1 for char in text if "\u4e00" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff")
