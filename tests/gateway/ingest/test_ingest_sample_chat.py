"""The bundled demo chat parses cleanly and yields the second day's planning."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

import gateway.ingest
from gateway.ingest import ChatFormat, parse_chat, select_dialogue

SAMPLE = Path(gateway.ingest.__file__).parent / "sample_chat.txt"


def test_sample_is_a_pc_windows_korean_export_of_two_days():
    chat = parse_chat(SAMPLE.read_bytes())

    assert (chat.format, chat.room) == (ChatFormat.PC_WINDOWS_KO, "부산 가자 🌊")
    assert len(chat.messages) == 53
    assert Counter(m.speaker for m in chat.messages) == {
        "민지": 15,
        "서연": 11,
        "지훈": 10,
        "도윤": 10,
        "수아": 7,  # plus two emoticon-only messages, dropped
    }
    assert {m.time.date() for m in chat.messages if m.time} == {
        datetime(2024, 5, 2).date(),
        datetime(2024, 5, 3).date(),
    }


def test_sample_has_photo_tags_multi_line_message_and_no_system_or_emoticon_lines():
    texts = [m.text for m in parse_chat(SAMPLE.read_bytes()).messages]

    assert texts.count("[사진]") == 2
    assert texts[22] == (
        "숙소 후보 정리해봤어\n"
        "1. 광안리 오션뷰 에어비앤비 - 2박 48만원, 5명까지\n"
        "2. 해운대 비즈니스호텔 - 방 2개, 2박 52만원\n"
        "1번이 광안대교 바로 보여서 나는 1번 추천!"
    )
    assert not any("초대했습니다" in text or "이모티콘" in text for text in texts)


def test_sample_dialogue_is_the_second_day_pseudonymized():
    chat = parse_chat(SAMPLE.read_bytes())

    dialogue = select_dialogue(
        chat, count_tokens=lambda texts: [len(t.split()) for t in texts], max_tokens=10_000
    )

    assert (dialogue.start, dialogue.end) == (
        datetime(2024, 5, 3, 12, 10),
        datetime(2024, 5, 3, 12, 46),
    )
    assert (dialogue.message_count, dialogue.speaker_count) == (31, 5)
    assert dialogue.text.split("\n")[:3] == [
        "P01: 숙소 후보 정리해봤어 1. 광안리 오션뷰 에어비앤비 - 2박 48만원, 5명까지 "
        "2. 해운대 비즈니스호텔 - 방 2개, 2박 52만원 1번이 광안대교 바로 보여서 나는 1번 추천!",
        "P01: [사진]",
        "P02: 1번 무조건이지",
    ]
    assert "P01이 최고 👍" in dialogue.text  # "서연이 최고" with 서연's name scrubbed
    assert not any(name in dialogue.text for name in ("민지", "지훈", "서연", "도윤", "수아"))
