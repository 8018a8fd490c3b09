"""The chat generator: seeded, varied, and every chat parses back to the intended messages."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from gateway.http.schemas import SummaryRequest
from gateway.ingest import parse_chat
from gateway.ingest.chat import ChatFormat
from loadtest.chats import ALL_FORMATS, ChatGenerator, GeneratedChat


def rows(chat: GeneratedChat) -> list[tuple[str, str, object]]:
    return [(m.speaker, m.text, m.time) for m in chat.messages]


@pytest.mark.parametrize("seed", [0, 1, 2024])
def test_every_chat_parses_back_to_its_messages(seed):
    generator = ChatGenerator(seed)
    for user in range(3):
        for index in range(len(ALL_FORMATS)):
            chat = generator.chat(user, index)
            parsed = parse_chat(chat.content)
            assert parsed.format is chat.chat_format
            assert parsed.room == chat.room
            assert [(m.speaker, m.text, m.time) for m in parsed.messages] == rows(chat)


def test_request_bodies_go_through_the_api_schema_to_the_same_messages():
    generator = ChatGenerator(5)
    for index in range(len(ALL_FORMATS)):
        chat = generator.chat(0, index)
        request = SummaryRequest.model_validate(chat.request_body())
        parsed = request.chat_input().parse()
        assert [(m.speaker, m.text, m.time) for m in parsed.messages] == rows(chat)
        assert chat.chat_input().parse() == parsed  # what the in-process reference reads
        body = chat.chat_image_body()
        assert body["image"] == {"seed": chat.image_seed}


def test_json_chats_are_sent_as_messages_and_exports_as_text():
    generator = ChatGenerator(0)
    chats = [generator.chat(0, index) for index in range(len(ALL_FORMATS))]
    json_chat = next(chat for chat in chats if chat.chat_format is ChatFormat.JSON)
    assert json_chat.request_body() == {"messages": json.loads(json_chat.content)}
    export = next(chat for chat in chats if chat.chat_format is ChatFormat.ANDROID_KO)
    assert export.request_body() == {"chat": export.content}


def test_same_seed_same_chats_other_seed_other_chats():
    first, again, other = ChatGenerator(3), ChatGenerator(3), ChatGenerator(4)
    assert first.chat(1, 5) == again.chat(1, 5)
    assert first.prompt(2, 7) == again.prompt(2, 7)
    assert first.chat(1, 5).content != other.chat(1, 5).content
    assert first.chat(0, 0).content != first.chat(1, 0).content  # users differ


def test_chats_vary_in_format_length_and_shape():
    chats = [ChatGenerator(11).chat(user, index) for user in range(4) for index in range(30)]
    assert set(Counter(chat.chat_format for chat in chats)) == set(ALL_FORMATS)
    lengths = [len(chat.messages) for chat in chats]
    assert min(lengths) < 15
    assert max(lengths) > 100
    texts = [m.text for chat in chats for m in chat.messages]
    assert any(text.startswith("[사진]") for text in texts)  # media placeholders become tags
    assert any("\n" in text for text in texts)  # multi-line messages
    assert all(text.strip() == text and text for text in texts)
    # Several conversations hours apart: the gateway must pick the latest.
    assert any(
        max(
            b.time - a.time for a, b in zip(chat.messages, chat.messages[1:], strict=False)
        ).total_seconds()
        > 3 * 3600
        for chat in chats
        if len(chat.messages) > 1
    )


def test_exports_contain_kakaotalk_lines_the_parser_drops():
    chats = [ChatGenerator(2).chat(0, index) for index in range(60)]
    pc = [c.content for c in chats if c.chat_format is ChatFormat.PC_WINDOWS_KO]
    assert any("님이" in content and "습니다." in content for content in pc)
    assert all("\r\n" in content for content in pc)  # the PC app writes CRLF


def test_a_generator_needs_a_format():
    with pytest.raises(ValueError, match="format"):
        ChatGenerator(0, formats=())


def test_prompts_are_summary_like_korean_sentences():
    generator = ChatGenerator(0)
    prompts = {generator.prompt(0, index) for index in range(20)}
    assert len(prompts) > 1
    assert all(prompt.endswith(".") for prompt in prompts)
