"""JSON message lists: valid input and clear errors for wrong shapes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from gateway.ingest import ChatFormat, ChatFormatError, Message, parse_chat, parse_messages_json

JSON_MESSAGES = [
    ("민지", "내일 몇 시에 만나?", "2024-05-02 21:03:00"),
    ("지훈", "7시 어때?\n강남역에서", "2024-05-02 21:04:00"),
    ("수아", "[사진]", None),
    ("민지", "좋아! 지훈아 늦지 마", None),
]


def test_json_fixture_parses_to_exact_messages(fixture_bytes, rows):
    chat = parse_messages_json(json.loads(fixture_bytes("messages.json")))

    assert (chat.format, chat.room) == (ChatFormat.JSON, None)
    assert rows(chat) == JSON_MESSAGES


def test_parse_chat_detects_json_text(fixture_bytes, rows):
    assert rows(parse_chat(fixture_bytes("messages.json"))) == JSON_MESSAGES


def test_time_zones_are_kept():
    chat = parse_messages_json([{"speaker": "a", "text": "b", "time": "2024-05-02T12:03:00Z"}])

    assert chat.messages == [Message("a", "b", datetime(2024, 5, 2, 12, 3, tzinfo=UTC))]


def test_empty_list_is_an_empty_chat():
    assert parse_messages_json([]).messages == []


@pytest.mark.parametrize(
    ("obj", "detail"),
    [
        ({"speaker": "a", "text": "b"}, "array of message objects"),
        ("hello", "array of message objects"),
        (None, "array of message objects"),
        ([["a", "b"]], "item 1 is not an object"),
        ([{"speaker": "a", "text": "b"}, {"text": "c"}], "item 2: 'speaker'"),
        ([{"speaker": "  ", "text": "b"}], "item 1: 'speaker'"),
        ([{"speaker": 3, "text": "b"}], "item 1: 'speaker'"),
        ([{"speaker": "a"}], "item 1: 'text'"),
        ([{"speaker": "a", "text": ["b"]}], "item 1: 'text'"),
        ([{"speaker": "a", "text": "b", "time": "yesterday"}], "item 1: 'time'"),
        ([{"speaker": "a", "text": "b", "time": 1714651380}], "item 1: 'time'"),
        (
            [
                {"speaker": "a", "text": "b", "time": "2024-05-02T21:03:00+09:00"},
                {"speaker": "a", "text": "c", "time": "2024-05-02T21:04:00"},
            ],
            "with and without a time zone",
        ),
    ],
)
def test_wrong_shapes_get_a_clear_error_naming_accepted_formats(obj, detail):
    with pytest.raises(ChatFormatError) as caught:
        parse_messages_json(obj)

    assert detail in caught.value.message_en
    assert "Accepted: PC (Windows) Korean/English" in caught.value.message_en
    assert "JSON 메시지 목록의 형식이 올바르지 않습니다" in caught.value.message_ko
    assert "지원 형식" in caught.value.message_ko
