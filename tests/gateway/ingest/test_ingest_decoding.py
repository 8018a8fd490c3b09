"""Encodings and line breaks are normalized before any format is tried."""

from __future__ import annotations

import codecs

import pytest

from gateway.ingest import ChatFormatError
from gateway.ingest.decoding import decode

TEXT = "[민지] [오후 9:03] 내일 몇 시에 만나?\n둘째 줄"


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        TEXT.encode("cp949"),
        TEXT.encode("euc-kr"),
        TEXT.encode("utf-16"),  # Notepad's "Unicode": UTF-16 with BOM
        bytearray(TEXT.encode("utf-8")),
        memoryview(TEXT.encode("utf-8")),
        TEXT,
        "\ufeff" + TEXT,
    ],
    ids=[
        "utf8",
        "utf8-bom",
        "cp949",
        "euc-kr",
        "utf16",
        "bytearray",
        "memoryview",
        "str",
        "str-bom",
    ],
)
def test_every_accepted_encoding_gives_the_same_text(data):
    assert decode(data) == TEXT


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_line_breaks_become_newlines(newline):
    assert decode(f"a{newline}b{newline}".encode()) == "a\nb\n"


def test_no_break_spaces_become_spaces():
    assert decode("9:03\u202fPM\u00a0민지") == "9:03 PM 민지"


def test_undecodable_bytes_raise_format_error():
    # No UTF-16 BOM: a BOM followed by an odd byte count reads as UTF-16 cut in its last unit.
    with pytest.raises(ChatFormatError) as caught:
        decode(b"\x80\x80\xff\xfe\xfd\x80\x80")

    assert "UTF-8" in caught.value.message_en
    assert "CP949" in caught.value.message_ko


def test_non_text_input_is_a_programming_error():
    with pytest.raises(TypeError):
        decode(42)  # type: ignore[arg-type]
