"""Selecting the latest burst within the token budget, pseudonymized and formatted."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from gateway.ingest import (
    ChatFormat,
    Dialogue,
    EmptyChatError,
    Message,
    ParsedChat,
    select_dialogue,
)
from gateway.ingest.chat import SelectionReport
from gateway.ingest.selection import COUNT_CHUNK


def words(texts: Sequence[str]) -> list[int]:
    return [len(text.split()) for text in texts]


def chat(*messages: tuple[str, str, str | None]) -> ParsedChat:
    return ParsedChat(
        ChatFormat.JSON,
        None,
        [
            Message(
                speaker, text, None if at is None else datetime.fromisoformat(f"2024-05-02 {at}")
            )
            for speaker, text, at in messages
        ],
    )


def select(parsed: ParsedChat, max_tokens: int = 1000, **kwargs) -> Dialogue:
    """Selection of the latest burst alone (no minimum), unless a test asks for one."""
    kwargs.setdefault("min_messages", 1)
    kwargs.setdefault("min_speakers", 1)
    return select_dialogue(parsed, count_tokens=words, max_tokens=max_tokens, **kwargs)


EVENING = chat(
    ("민지", "점심 뭐 먹지", "12:00"),
    ("지훈", "김밥", "12:30"),
    ("수아", "내일 몇 시에 만나?", "19:00"),
    ("민지", "7시 어때", "19:05"),
    ("수아", "좋아 민지야", "20:30"),
)


def test_latest_burst_is_cut_at_a_silence_longer_than_the_gap():
    dialogue = select(EVENING)

    assert replace(dialogue, selection=None) == Dialogue(
        text="P01: 내일 몇 시에 만나?\nP02: 7시 어때\nP01: 좋아 P02야",
        message_count=3,
        speaker_count=2,
        start=datetime(2024, 5, 2, 19, 0),
        end=datetime(2024, 5, 2, 20, 30),
    )
    assert dialogue.selection == SelectionReport(
        chat_messages=5,
        burst_messages=3,
        candidate_messages=3,
        min_messages=1,
        min_speakers=1,
        minimum_met=True,
        budget_dropped=0,
        reason=(
            "The latest burst (3 messages) was taken; "
            "it holds the minimum of 1 messages from 1 speakers."
        ),
    )


def test_a_silence_of_exactly_the_gap_does_not_cut():
    assert select(EVENING, gap=timedelta(hours=6, minutes=30)).message_count == 5
    assert select(EVENING, gap=timedelta(hours=6, minutes=29)).message_count == 3


def test_a_shorter_gap_cuts_closer():
    # 민지 does not speak in the burst but is a chat member: her name still gets a label.
    assert select(EVENING, gap=timedelta(hours=1)).text == "P01: 좋아 P02야"


def test_messages_without_times_are_one_burst():
    dialogue = select(chat(("민지", "안녕", None), ("지훈", "반가워", None)))

    assert (dialogue.text, dialogue.start, dialogue.end) == ("P01: 안녕\nP02: 반가워", None, None)


def test_untimed_messages_stay_with_the_next_timed_message():
    dialogue = select(
        chat(("민지", "아침", "08:00"), ("지훈", "사진 봐", None), ("수아", "저녁", "20:00"))
    )

    assert dialogue.text == "P01: 사진 봐\nP02: 저녁"
    assert (dialogue.start, dialogue.end) == (datetime(2024, 5, 2, 20), datetime(2024, 5, 2, 20))


def test_budget_trims_from_the_oldest_end():
    parsed = chat(
        ("민지", "하나 둘 셋", "19:00"),  # 4 words as "P0x: 하나 둘 셋"
        ("지훈", "넷 다섯", "19:01"),  # 3 words
        ("수아", "여섯 일곱", "19:02"),  # 3 words
    )

    assert select(parsed, max_tokens=10).text == "P01: 하나 둘 셋\nP02: 넷 다섯\nP03: 여섯 일곱"
    assert select(parsed, max_tokens=9).text == "P01: 넷 다섯\nP02: 여섯 일곱"
    assert select(parsed, max_tokens=6).text == "P01: 넷 다섯\nP02: 여섯 일곱"
    assert select(parsed, max_tokens=5).text == "P01: 여섯 일곱"


def test_pseudonyms_follow_first_appearance_in_the_kept_messages():
    parsed = chat(
        ("민지", "처음", "19:00"),
        ("지훈", "둘째", "19:01"),
        ("민지", "셋째", "19:02"),
        ("수아", "넷째 지훈아", "19:03"),
    )

    dialogue = select(parsed, max_tokens=6)

    assert dialogue.text == "P01: 셋째\nP02: 넷째 P03아"  # 지훈 only mentioned: next label
    assert (dialogue.message_count, dialogue.speaker_count) == (2, 2)


def test_newest_message_over_budget_is_kept_alone():
    parsed = chat(("민지", "짧다", "19:00"), ("지훈", "아주 " * 50 + "길다", "19:01"))

    dialogue = select(parsed, max_tokens=5)

    assert dialogue.text == "P01: " + "아주 " * 50 + "길다"
    assert dialogue.message_count == 1


def test_final_text_is_checked_against_the_budget():
    # This tokenizer also counts line breaks, which per-turn estimates cannot see.
    def words_and_lines(texts: Sequence[str]) -> list[int]:
        return [len(text.split()) + text.count("\n") for text in texts]

    parsed = chat(("민지", "a b", "19:00"), ("지훈", "c d", "19:01"), ("수아", "e f", "19:02"))

    dialogue = select_dialogue(parsed, count_tokens=words_and_lines, max_tokens=9, min_messages=1)

    assert dialogue.text == "P01: c d\nP02: e f"
    assert words_and_lines([dialogue.text])[0] <= 9


def test_turns_are_counted_newest_first_in_chunks_not_line_by_line():
    parsed = chat(
        *((f"사람{i % 7}", "한 두 세", f"19:{i // 60:02d}:{i % 60:02d}") for i in range(300))
    )
    calls: list[int] = []

    def counting(texts: Sequence[str]) -> list[int]:
        calls.append(len(texts))
        return words(texts)

    dialogue = select_dialogue(parsed, count_tokens=counting, max_tokens=4 * 100)

    assert dialogue.message_count == 100
    # Two chunks of turns (64 + 64 reach the budget), then the final text once.
    assert calls == [COUNT_CHUNK, COUNT_CHUNK, 1]


def test_multi_line_messages_become_one_turn():
    dialogue = select(chat(("민지", "일정\n1. 회의\n\n2. 저녁  약속", "19:00")))

    assert dialogue.text == "P01: 일정 1. 회의 2. 저녁 약속"


def test_empty_chat_raises_empty_chat_error():
    with pytest.raises(EmptyChatError) as caught:
        select(chat())

    assert caught.value.message_ko.startswith("요약할 대화가 없습니다.")
    assert caught.value.message_en.startswith("There is no conversation to summarize")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_tokens": 0},
        {"max_tokens": 10, "gap": timedelta(0)},
        {"max_tokens": 10, "min_messages": 0},
        {"max_tokens": 10, "min_speakers": 0},
    ],
)
def test_caller_bugs_raise_value_error(kwargs):
    with pytest.raises(ValueError, match="must be positive"):
        select_dialogue(EVENING, count_tokens=words, **kwargs)


def test_only_counts_are_logged(caplog):
    with caplog.at_level(logging.DEBUG, logger="gateway.ingest"):
        select(EVENING)

    assert [record.getMessage() for record in caplog.records] == [
        "selected 3 of 5 messages (3 in the latest burst, 3 candidates) from 2 speakers"
    ]


def night_then_one_line(lines: int, speakers: int = 3) -> ParsedChat:
    """An evening of ``lines`` messages, a night's silence, and one "ㅋㅋ" in the morning."""
    return ParsedChat(
        ChatFormat.JSON,
        None,
        [
            *(
                Message(f"사람{i % speakers}", f"말 {i}", datetime(2024, 5, 2, 19, i % 60))
                for i in range(lines)
            ),
            Message("사람0", "ㅋㅋ", datetime(2024, 5, 3, 9, 0)),
        ],
    )


def test_a_burst_below_the_minimum_is_extended_past_the_gap():
    dialogue = select_dialogue(
        night_then_one_line(30), count_tokens=words, max_tokens=1000, min_messages=10
    )

    assert dialogue.message_count == 10
    assert dialogue.text.endswith("P03: 말 29\nP01: ㅋㅋ")
    assert dialogue.selection == SelectionReport(
        chat_messages=31,
        burst_messages=1,
        candidate_messages=10,
        min_messages=10,
        min_speakers=2,
        minimum_met=True,
        budget_dropped=0,
        reason=(
            "The latest burst (1 messages) was too short: extended past the gap to 10; "
            "it holds the minimum of 10 messages from 2 speakers."
        ),
    )
    assert dialogue.selection.extended_past_gap


def test_extension_goes_on_until_a_second_speaker_is_found():
    parsed = ParsedChat(
        ChatFormat.JSON,
        None,
        [
            Message("지훈", "어제 고마웠어", datetime(2024, 5, 1, 22, 0)),
            *(Message("민지", f"혼잣말 {i}", datetime(2024, 5, 2, 9, i)) for i in range(12)),
        ],
    )

    dialogue = select_dialogue(parsed, count_tokens=words, max_tokens=1000, min_messages=3)

    assert (dialogue.message_count, dialogue.speaker_count) == (13, 2)


def test_a_chat_smaller_than_the_minimum_is_taken_whole():
    dialogue = select_dialogue(
        night_then_one_line(3), count_tokens=words, max_tokens=1000, min_messages=10
    )

    assert dialogue.message_count == 4
    assert dialogue.selection is not None
    assert dialogue.selection.reason == (
        "The latest burst (1 messages) was too short: extended past the gap to the whole chat; "
        "it holds fewer than the minimum of 10 messages from 2 speakers."
    )
    assert not dialogue.selection.minimum_met


def test_the_budget_wins_over_the_minimum_and_says_so():
    dialogue = select_dialogue(
        night_then_one_line(30), count_tokens=words, max_tokens=9, min_messages=10
    )

    assert dialogue.message_count == 3  # "P0x: 말 n" is 3 words
    assert dialogue.selection is not None
    assert dialogue.selection.budget_dropped == 7
    assert dialogue.selection.reason.endswith(
        "; the token budget left out the oldest 7, keeping 3 from 3 speakers."
    )


def test_a_burst_meeting_the_minimum_is_not_extended():
    dialogue = select_dialogue(
        night_then_one_line(30),
        count_tokens=words,
        max_tokens=1000,
        min_messages=1,
        min_speakers=1,
    )

    assert dialogue.text == "P01: ㅋㅋ"
    assert dialogue.selection is not None
    assert not dialogue.selection.extended_past_gap
