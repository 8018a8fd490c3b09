"""Each line-based export format parsed to exact messages (speaker, text, time)."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from gateway.ingest import ChatFormat, parse_chat

PC_WINDOWS_KO = [
    ("민지", "다들 점심 먹었어?", "2024-05-02 11:58:00"),
    ("지훈", "아직! 지금 나가는 중", "2024-05-02 12:00:00"),
    ("수아", "[사진]", "2024-05-02 12:30:00"),
    ("수아", "[사진]", "2024-05-02 12:31:00"),
    ("수아", "오늘 점심은 김치찌개 ㅋㅋ", "2024-05-02 12:31:00"),
    (
        "민지",
        "다음 주 일정 정리해봤어\n월: 팀 회의\n수: 저녁 약속\n\n금: 제주 출발!",
        "2024-05-02 13:02:00",
    ),
    ("지훈", "[동영상]", "2024-05-02 13:06:00"),
    ("민지", "[파일] 제주_일정표.pdf", "2024-05-02 13:10:00"),
    ("수아", "[음성]", "2024-05-02 13:12:00"),
    ("지훈", "[검색] 제주 흑돼지 맛집", "2024-05-02 13:15:00"),
    ("민지", "내일 봐!", "2024-05-02 23:59:00"),
    ("수아", "벌써 자정이다 ㅋㅋ", "2024-05-03 00:00:00"),
    ("수아", "잘 자~", "2024-05-03 00:15:00"),
]

PC_WINDOWS_EN = [
    ("Minji", "Did everyone have lunch?", "2024-05-02 11:58:00"),
    ("Jihoon", "Not yet, heading out now", "2024-05-02 12:00:00"),
    ("Sua", "[사진]", "2024-05-02 12:30:00"),
    ("Sua", "[사진]", "2024-05-02 12:31:00"),
    ("Minji", "Plan for next week:\nMon: team meeting\nFri: fly to Jeju!", "2024-05-02 13:02:00"),
    ("Minji", "[파일] jeju_plan.pdf", "2024-05-02 13:10:00"),
    ("Sua", "[음성]", "2024-05-02 13:12:00"),
    ("Jihoon", "[동영상]", "2024-05-02 13:20:00"),
    ("Minji", "See you tomorrow!", "2024-05-02 23:59:00"),
    ("Sua", "Midnight already lol", "2024-05-03 00:00:00"),
    ("Sua", "Good night", "2024-05-03 00:15:00"),
]

ANDROID_KO = [
    ("민지", "다들 점심 먹었어?", "2024-05-02 11:58:00"),
    ("회원님", "아직! 지금 나가는 중", "2024-05-02 12:00:00"),
    ("수아", "[사진]", "2024-05-02 12:30:00"),
    ("수아", "오늘 점심은\n김치찌개랑\n\n계란말이", "2024-05-02 12:31:00"),
    ("민지", "벌써 자정이네", "2024-05-03 00:00:00"),
    ("회원님", "집합 : 내일 아침 9시 서울역", "2024-05-03 00:10:00"),
]

ANDROID_EN = [
    ("Minji", "Did everyone eat?", "2024-05-02 11:58:00"),
    ("Jihoon", "Not yet", "2024-05-02 12:00:00"),
    ("Sua", "[사진]", "2024-05-02 12:30:00"),
    ("Sua", "Lunch today:\nkimchi stew\nand rolled omelette", "2024-05-02 12:31:00"),
    ("Minji", "Midnight already", "2024-05-03 00:00:00"),
    ("Jihoon", "Meet : 9 AM at Seoul Station", "2024-05-03 00:10:00"),
]

ANDROID_EN_OLD = [
    ("Minji", "Did everyone eat?", "2024-05-02 11:58:00"),
    ("Jihoon", "Not yet", "2024-05-02 12:00:00"),
    ("Sua", "[사진]", "2024-05-02 12:30:00"),
    ("Minji", "Midnight already", "2024-05-03 00:00:00"),
    ("Jihoon", "See you at 9", "2024-05-03 00:10:00"),
]

IOS_KO = [
    ("민지", "다들 점심 먹었어?", "2024-05-02 11:58:00"),
    ("지훈", "아직!", "2024-05-02 12:00:00"),
    ("수아", "[사진]", "2024-05-02 12:30:00"),
    ("수아", "내일 몇 시에 만나?\n장소는 강남역으로 하자", "2024-05-02 21:03:00"),
    ("민지", "벌써 자정!", "2024-05-03 00:00:00"),
    ("지훈", "이제 자야지", "2024-05-03 00:10:00"),
]

IOS_EN = [
    ("Minji", "Did everyone eat?", "2024-05-02 11:58:00"),
    ("Jihoon", "Not yet", "2024-05-02 12:00:00"),
    ("Sua", "[사진]", "2024-05-02 12:30:00"),
    ("민지", "내일 몇 시에 만나?", "2024-05-02 21:03:00"),
    ("Minji", "Midnight!", "2024-05-03 00:00:00"),
    ("Jihoon", "[음성]", "2024-05-03 00:10:00"),
]


class Case(NamedTuple):
    name: str
    chat_format: ChatFormat
    room: str
    expected: list[tuple[str, str, str | None]]


CASES = [
    Case("pc_windows_ko.txt", ChatFormat.PC_WINDOWS_KO, "제주도 가즈아", PC_WINDOWS_KO),
    Case("pc_windows_en.txt", ChatFormat.PC_WINDOWS_EN, "Jeju Trip", PC_WINDOWS_EN),
    Case("android_ko.txt", ChatFormat.ANDROID_KO, "부산 여행", ANDROID_KO),
    Case("android_en.txt", ChatFormat.ANDROID_EN, "Busan Trip", ANDROID_EN),
    Case("android_en_old.txt", ChatFormat.ANDROID_EN, "Busan Trip", ANDROID_EN_OLD),
    Case("ios_ko.txt", ChatFormat.IOS_KO, "부산 여행", IOS_KO),
    Case("ios_en.txt", ChatFormat.IOS_EN, "Busan Trip", IOS_EN),
]
KOREAN_CASES = [case for case in CASES if case.name.endswith("_ko.txt")]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_export_parses_to_exact_messages(fixture_bytes, rows, case):
    chat = parse_chat(fixture_bytes(case.name))

    assert chat.format is case.chat_format
    assert chat.room == case.room
    assert rows(chat) == case.expected


@pytest.mark.parametrize("case", KOREAN_CASES, ids=lambda case: case.name)
def test_cp949_export_parses_like_utf8(fixture_bytes, rows, case):
    data = fixture_bytes(case.name).decode("utf-8").encode("cp949")

    chat = parse_chat(data)

    assert (chat.format, chat.room, rows(chat)) == (case.chat_format, case.room, case.expected)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_bom_and_crlf_export_parses_like_plain(fixture_bytes, rows, case):
    data = b"\xef\xbb\xbf" + fixture_bytes(case.name).replace(b"\n", b"\r\n")

    chat = parse_chat(data)

    assert (chat.format, chat.room, rows(chat)) == (case.chat_format, case.room, case.expected)


def test_pc_message_before_any_day_line_has_no_time(rows):
    chat = parse_chat("[민지] [오후 9:03] 내일 몇 시에 만나?\n[지훈] [오후 9:04] 7시!")

    assert rows(chat) == [("민지", "내일 몇 시에 만나?", None), ("지훈", "7시!", None)]


@pytest.mark.parametrize(
    ("line", "stamp"),
    [
        ("[민지] [오전 12:00] a", "2024-05-02 00:00:00"),
        ("[민지] [오전 12:59] a", "2024-05-02 00:59:00"),
        ("[민지] [오전 1:00] a", "2024-05-02 01:00:00"),
        ("[민지] [오전 11:59] a", "2024-05-02 11:59:00"),
        ("[민지] [오후 12:00] a", "2024-05-02 12:00:00"),
        ("[민지] [오후 12:59] a", "2024-05-02 12:59:00"),
        ("[민지] [오후 1:00] a", "2024-05-02 13:00:00"),
        ("[민지] [오후 11:59] a", "2024-05-02 23:59:00"),
    ],
)
def test_korean_twelve_o_clock_edges(rows, line, stamp):
    chat = parse_chat(f"--------------- 2024년 5월 2일 목요일 ---------------\n{line}")

    assert rows(chat) == [("민지", "a", stamp)]


@pytest.mark.parametrize(
    ("stamp_text", "stamp"),
    [
        ("12:00 AM", "2024-05-02 00:00:00"),
        ("12:30 AM", "2024-05-02 00:30:00"),
        ("11:59 AM", "2024-05-02 11:59:00"),
        ("12:00 PM", "2024-05-02 12:00:00"),
        ("12:30 PM", "2024-05-02 12:30:00"),
        ("1:00 PM", "2024-05-02 13:00:00"),
        ("11:59 PM", "2024-05-02 23:59:00"),
    ],
)
def test_english_twelve_o_clock_edges(rows, stamp_text, stamp):
    chat = parse_chat(f"May 2, 2024, {stamp_text}, Minji : a")

    assert rows(chat) == [("Minji", "a", stamp)]


def test_ios_24_hour_and_12_hour_lines_mix(rows):
    text = "2024. 5. 2. 00:05, 민지 : 자정 넘었다\n2024. 5. 2. 오후 12:05, 지훈 : 점심!"

    assert rows(parse_chat(text)) == [
        ("민지", "자정 넘었다", "2024-05-02 00:05:00"),
        ("지훈", "점심!", "2024-05-02 12:05:00"),
    ]


def test_ios_english_narrow_no_break_space_before_pm(rows):
    chat = parse_chat("May 2, 2024, 9:03\u202fPM, 민지 : 내일 몇 시에 만나?")

    assert rows(chat) == [("민지", "내일 몇 시에 만나?", "2024-05-02 21:03:00")]


def test_impossible_timestamp_is_continuation_text(rows):
    text = (
        "2024년 5월 2일 오후 9:03, 민지 : 날짜 적어볼게\n2024년 2월 30일 오후 9:04, 지훈 : 없는 날"
    )

    assert rows(parse_chat(text)) == [
        ("민지", "날짜 적어볼게\n2024년 2월 30일 오후 9:04, 지훈 : 없는 날", "2024-05-02 21:03:00")
    ]


def test_speaker_names_with_spaces_and_brackets(rows):
    text = (
        "--------------- 2024년 5월 2일 목요일 ---------------\n"
        "[김민지 (부산)] [오후 9:03] 안녕\n"
        "[지훈 🐻] [오후 9:04] [공지] 내일 7시"
    )

    assert rows(parse_chat(text)) == [
        ("김민지 (부산)", "안녕", "2024-05-02 21:03:00"),
        ("지훈 🐻", "[공지] 내일 7시", "2024-05-02 21:04:00"),
    ]
