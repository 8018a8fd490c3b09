"""The failures seen on real exports (issue 10), each on a fixture in the format it occurs in.

Names are made up; the shapes are those of the published exports.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.ingest import ChatFormat, ParsedChat, parse_chat, select_dialogue
from gateway.ingest.accounting import LineRole

REAL_WORLD = Path(__file__).parent / "fixtures" / "real_world"

Rows = Callable[[ParsedChat], list[tuple[str, str, str | None]]]


def read(name: str) -> ParsedChat:
    return parse_chat((REAL_WORLD / name).read_bytes())


@pytest.mark.parametrize(
    ("name", "chat_format", "last"),
    [
        ("android_ko_text_on_next_line.txt", ChatFormat.ANDROID_KO, ("서윤", "넵")),
        ("ios_ko_text_on_next_line.txt", ChatFormat.IOS_KO, ("하준", "넵")),
    ],
)
def test_a_message_whose_text_starts_on_the_next_line_is_kept_whole(name, chat_format, last, rows):
    chat = read(name)

    assert chat.format is chat_format
    assert ("도현", "Zoom 회의 참가\nhttps://example.com/j/123456", "2022-05-17 13:58:00") in rows(
        chat
    )
    # The empty message ("서윤 : " and nothing else) is dropped, counted, and swallows nothing.
    assert chat.report.dropped == {"empty": 1}
    assert chat.report.lines_with(LineRole.UNPLACED) == []
    assert rows(chat)[-1][:2] == last


def test_a_long_notice_after_an_empty_message_keeps_every_line(rows):
    chat = read("android_ko_text_on_next_line.txt")

    assert rows(chat)[2:] == [
        (
            "하준",
            "공지\n1. 자료 미리 읽기\n2. 질문 하나씩 준비\n\n3. 지각하지 않기",
            "2022-05-17 14:01:00",
        ),
        ("서윤", "넵", "2022-05-17 14:02:00"),
    ]


def test_english_android_placeholders_become_tags(rows):
    chat = read("android_en_placeholders.txt")

    assert [text for _, text, _ in rows(chat)] == [
        "[사진]",  # <Photo Unread>
        "[동영상]",  # <Video Unread>
        "[사진]",  # <Photo>
        "[사진]",  # (Photo)
        "Emoticons are cute",  # conversation, not a placeholder
    ]
    assert chat.report.placeholders == {"emoticon": 1, "photo": 3, "video": 1}
    assert chat.report.dropped == {"emoticon": 1}  # "Emoticons" alone


def test_korean_placeholders_written_with_u2039_become_tags(rows):
    chat = read("android_ko_placeholders.txt")

    assert [text for _, text, _ in rows(chat)] == [
        "[사진]",  # ‹사진>
        "[사진]",  # ‹사진 읽지 않음>
        "[사진]",  # (사진)
        "[동영상]",  # ‹동영상 읽지 않음>
        "사진 잘 나왔다",
    ]


def test_macos_rows_with_the_actor_as_user_are_system_rows(rows):
    chat = read("macos_actor_rows.csv")

    assert rows(chat) == [
        ("도현", "안녕하세요", "2015-07-09 20:35:00"),
        # Wording like a notice, but not about the user who wrote it: conversation.
        ("서윤", "하준 invited me to dinner.", "2015-07-09 20:38:00"),
    ]
    assert chat.report.system == {"membership": 3}
    assert chat.report.placeholders == {"emoticon": 2}  # (emoticon), (Emoticon)


@pytest.mark.parametrize(
    ("name", "room"),
    [
        ("pc_windows_en_member_count.txt", "스터디 모임"),  # KakaoTalk Chats <room> (24)
        ("android_ko_member_count.txt", "스터디 모임"),  # <room> 62 카카오톡 대화
        ("ios_ko_member_count.txt", "스터디 모임"),  # <room>(4명)과 카카오톡 대화
        ("ios_ko_file_name_title.txt", None),  # the export's file name is no room name
    ],
)
def test_room_names_without_member_counts_or_file_names(name, room):
    assert read(name).room == room


def test_two_exports_pasted_into_one_file_keep_their_messages_apart(rows):
    chat = read("android_ko_two_exports.txt")
    first = read("android_ko_text_on_next_line.txt")

    assert rows(chat) == [
        *rows(first),
        ("하준", "오늘은 쉬어요", "2022-05-18 20:01:00"),
        ("도현", "좋아요", "2022-05-18 20:02:00"),
    ]
    assert chat.report.role_counts()["header"] == 4


def test_a_title_lookalike_inside_a_message_stays_text(rows):
    text = (
        "우리방 님과 카카오톡 대화\n"
        "저장한 날짜 : 2024년 5월 3일 오전 12:20\n"
        "2024년 5월 2일 오후 9:03, 서윤 : 어제 본 글 제목이\n"
        "우리 카카오톡 대화\n"
        "2024년 5월 2일 오후 9:04, 도현 : ㅋㅋ\n"
    )

    assert rows(parse_chat(text))[0] == (
        "서윤",
        "어제 본 글 제목이\n우리 카카오톡 대화",
        "2024-05-02 21:03:00",
    )


def test_a_long_chat_ending_in_one_message_after_a_night_gives_enough_to_draw():
    lines = ["스터디 모임 님과 카카오톡 대화", "저장한 날짜 : 2024년 5월 3일 오전 9:00"]
    for minute in range(30):
        speaker = ("서윤", "도현", "하준")[minute % 3]
        lines.append(f"2024년 5월 2일 오후 9:{minute:02d}, {speaker} : 이야기 {minute}")
    lines.append("2024년 5월 3일 오전 8:00, 서윤 : 굿모닝")

    dialogue = select_dialogue(
        parse_chat("\n".join(lines)),
        count_tokens=lambda texts: [len(text.split()) for text in texts],
        max_tokens=512,
    )

    assert (dialogue.message_count, dialogue.speaker_count) == (10, 3)
    assert dialogue.selection is not None
    assert dialogue.selection.extended_past_gap
