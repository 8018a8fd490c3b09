"""Format detection and the error for input that is no chat export."""

from __future__ import annotations

import logging

import pytest

from gateway.ingest import ChatFormat, ChatFormatError, IngestError, parse_chat

README = """# CALL-E serving

Summarize a KakaoTalk group chat with KoBART and draw a picture of it.

## Usage

    make demo
"""


@pytest.mark.parametrize(
    "data",
    [
        README,
        README.encode(),
        "",
        b"",
        "   \n\r\n\t",
        '{"speaker": "민지", "text": "안녕"}',
        '[{"speaker": "민지"}]',
        "[1, 2, 3]",
        "민지: 안녕\n지훈: 반가워",
        "2024-05-02 21:03 민지 안녕",
    ],
    ids=[
        "readme",
        "readme-bytes",
        "empty",
        "empty-bytes",
        "blank",
        "json-object",
        "json-no-text",
        "json-numbers",
        "plain-dialogue",
        "other-log",
    ],
)
def test_non_exports_get_the_error_naming_accepted_formats(data):
    with pytest.raises(ChatFormatError) as caught:
        parse_chat(data)

    error = caught.value
    assert isinstance(error, IngestError)
    assert isinstance(error, ValueError)
    assert error.message_en.endswith(
        "Accepted: PC (Windows) Korean/English, macOS CSV, Android Korean/English, "
        "iOS Korean/English, or JSON messages."
    )
    assert error.message_ko.endswith(
        "지원 형식: PC(Windows) 한국어/영어, macOS CSV, Android 한국어/영어, iOS 한국어/영어, "
        "또는 JSON 메시지 목록."
    )


def test_plain_text_error_says_it_is_not_an_export():
    with pytest.raises(ChatFormatError) as caught:
        parse_chat(README)

    assert caught.value.message_ko.startswith("카카오톡 대화 내보내기 파일 형식이 아닙니다.")
    assert caught.value.message_en.startswith("This is not a KakaoTalk chat export.")


def test_pc_export_without_header_is_not_mistaken_for_json(rows):
    chat = parse_chat("[민지] [오후 9:03] 안녕\n[지훈] [오후 9:04] [1, 2]")

    assert chat.format is ChatFormat.PC_WINDOWS_KO
    assert rows(chat) == [("민지", "안녕", None), ("지훈", "[1, 2]", None)]


def test_header_only_export_is_an_empty_chat():
    chat = parse_chat("부산 여행 님과 카카오톡 대화\n저장한 날짜 : 2024-05-02 21:10:33\n")

    assert (chat.room, chat.messages) == ("부산 여행", [])


def test_format_explaining_most_lines_wins(rows):
    # One line looks like a PC message; the rest is an Android export.
    text = (
        "2024년 5월 2일 오후 9:03, 민지 : [지훈] [오후 9:00] 이거 PC 형식이야\n"
        "2024년 5월 2일 오후 9:04, 지훈 : 그러네\n"
    )

    chat = parse_chat(text)

    assert chat.format is ChatFormat.ANDROID_KO
    assert rows(chat) == [
        ("민지", "[지훈] [오후 9:00] 이거 PC 형식이야", "2024-05-02 21:03:00"),
        ("지훈", "그러네", "2024-05-02 21:04:00"),
    ]


def test_english_mobile_without_markers_defaults_to_android():
    assert parse_chat("May 2, 2024, 9:03 PM, Minji : hi").format is ChatFormat.ANDROID_EN


def test_ios_english_is_told_apart_by_its_system_lines(rows):
    chat = parse_chat("May 2, 2024, 9:03 PM, Minji : hi\nMay 2, 2024, 9:05 PM: Jihoon invited Sua.")

    assert chat.format is ChatFormat.IOS_EN
    assert rows(chat) == [("Minji", "hi", "2024-05-02 21:03:00")]


def test_only_format_and_counts_are_logged(fixture_bytes, caplog):
    with caplog.at_level(logging.DEBUG, logger="gateway.ingest"):
        parse_chat(fixture_bytes("pc_windows_ko.txt"))

    assert [record.getMessage() for record in caplog.records] == [
        "parsed pc_windows_ko chat (utf-8): 13 messages"
    ]


def test_deeply_nested_json_is_rejected_cleanly():
    with pytest.raises(ChatFormatError):
        parse_chat("[" * 100_000)
