"""Damaged uploads: cut downloads, UTF-16 without BOM, mojibake (issue 10, failure 6)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.ingest import ChatFormatError, parse_chat
from gateway.ingest.decoding import MOJIBAKE_CP949, MOJIBAKE_UTF8, TRUNCATED, decode_upload

FIXTURES = Path(__file__).parent / "fixtures"
ANDROID_KO = (FIXTURES / "android_ko.txt").read_text(encoding="utf-8")


def test_a_download_cut_inside_a_character_drops_it_and_says_so(rows):
    data = ANDROID_KO.encode("utf-8")
    cut = data[: data.rindex("자정".encode()) + 4]  # 자 (3 bytes) and 1 byte of 정

    chat = parse_chat(cut)

    assert chat.report.repairs == (TRUNCATED,)
    whole = rows(parse_chat(data))
    assert rows(chat) == [*whole[:-2], ("민지", "벌써 자", "2024-05-03 00:00:00")]


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=200, max_value=len(ANDROID_KO.encode("utf-8"))), st.booleans())
def test_any_cut_of_a_utf8_or_cp949_export_parses(cut, cp949):
    data = ANDROID_KO.encode("cp949" if cp949 else "utf-8")[:cut]

    decoded = decode_upload(data)

    assert decoded.encoding == ("cp949" if cp949 else "utf-8")
    assert decoded.repairs in {(), (TRUNCATED,)}
    assert ANDROID_KO.startswith(decoded.text)
    parse_chat(data)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_recognized(encoding, rows):
    chat = parse_chat(ANDROID_KO.encode(encoding))

    assert chat.report.encoding == encoding
    assert rows(chat) == rows(parse_chat(ANDROID_KO))


def test_utf16_cut_in_its_last_code_unit_drops_it():
    chat = parse_chat(ANDROID_KO.encode("utf-16-le")[:-1])

    assert (chat.report.encoding, chat.report.repairs) == ("utf-16-le", (TRUNCATED,))


@pytest.mark.parametrize(
    ("original", "misread", "repair"),
    [
        ("utf-8", "sloppy-windows-1252", MOJIBAKE_UTF8),
        ("utf-8", "latin-1", MOJIBAKE_UTF8),
        ("cp949", "sloppy-windows-1252", MOJIBAKE_CP949),
    ],
)
def test_mojibake_from_a_latin_code_page_is_repaired_and_reported(original, misread, repair, rows):
    import ftfy.bad_codecs  # noqa: F401  (the codec used to make the damage)

    damaged = ANDROID_KO.encode(original).decode(misread).encode("utf-8")

    chat = parse_chat(damaged)

    assert chat.report.repairs == (repair,)
    assert rows(chat) == rows(parse_chat(ANDROID_KO))


def test_utf8_opened_as_cp949_and_saved_is_reported_as_such():
    damaged = ANDROID_KO.encode("utf-8").decode("cp949", errors="replace").encode("utf-8")

    with pytest.raises(ChatFormatError) as caught:
        parse_chat(damaged)

    assert "mojibake" in caught.value.message_en
    assert "다시 내보내" in caught.value.message_ko


def test_english_text_with_a_few_accents_is_left_alone():
    text = "May 2, 2024, 9:03 PM, Zoé : café à Montréal, crème brûlée, déjà vu, résumé"

    assert decode_upload(text.encode("utf-8")).repairs == ()
