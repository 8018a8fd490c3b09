"""The macOS CSV export: quoting, system rows and broken rows."""

from __future__ import annotations

import pytest

from gateway.ingest import ChatFormat, ChatFormatError, parse_chat

MACOS = [
    ("민지", "내일 몇 시에 만나?", "2024-05-02 21:03:00"),
    ("지훈", "음, 7시? 아니면 7시 반, 8시도 괜찮아", "2024-05-02 21:04:12"),
    ("수아", '장소는 "강남역" 11번 출구\n거기서 보자', "2024-05-02 21:05:30"),
    ("민지", "[사진]", "2024-05-02 21:06:00"),
    ("민지", "좋아 그럼 7시 반!", "2024-05-02 21:09:00"),
]


def test_macos_export_parses_to_exact_messages(fixture_bytes, rows):
    chat = parse_chat(fixture_bytes("macos.csv"))

    assert (chat.format, chat.room) == (ChatFormat.MACOS_CSV, None)
    assert rows(chat) == MACOS


def test_macos_export_with_bom_crlf_and_cp949(fixture_bytes, rows):
    text = fixture_bytes("macos.csv").decode("utf-8").replace("\n", "\r\n")

    assert rows(parse_chat(b"\xef\xbb\xbf" + text.encode("utf-8"))) == MACOS
    assert rows(parse_chat(text.encode("cp949"))) == MACOS


def test_unquoted_extra_commas_stay_in_the_message(rows):
    chat = parse_chat("Date,User,Message\n2024-05-02 21:03,민지,하나, 둘, 셋\n")

    assert rows(chat) == [("민지", "하나, 둘, 셋", "2024-05-02 21:03:00")]


def test_quoted_header_and_blank_lines(rows):
    chat = parse_chat('\n"Date","User","Message"\n\n2024-05-02 21:03:00,"민지","안녕"\n\n')

    assert rows(chat) == [("민지", "안녕", "2024-05-02 21:03:00")]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("Date,User,Message\n2024-05-02 21:03:00,민지\n", 2),
        ("Date,User,Message\n2024-05-02 21:03:00,민지,a\nyesterday,지훈,b\n", 3),
        ("Date,User,Message\n2024-02-30 21:03:00,민지,a\n", 2),
    ],
)
def test_broken_rows_name_the_line(text, line):
    with pytest.raises(ChatFormatError) as caught:
        parse_chat(text)

    assert f"Line {line} of the macOS CSV" in caught.value.message_en
    assert f"{line}번째 줄" in caught.value.message_ko
