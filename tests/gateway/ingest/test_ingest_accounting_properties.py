"""Property tests of issue 10: no line lost unaccounted, the minimum held, no name leaked.

Valid exports are generated from a model (messages, notices, day lines) together with the role
each rendered line must get, so the parser is checked line by line, not by totals.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.ingest import ChatFormat, Message, ParsedChat, parse_chat, select_dialogue
from gateway.ingest.accounting import LineRole
from gateway.ingest.pseudonyms import MIN_NAME_LENGTH

SPEAKERS = ["민지", "지훈", "수아", "김 서연", "Mina", "회원님"]
# Words that are neither placeholders, notices nor timestamps.
WORDS = [
    "점심",
    "먹자",
    "내일",
    "7시?",
    "ok",
    "ㅋㅋ",
    "회의",
    "https://example.com/a",
    "[중요]",
    "1.",
]
START = datetime(2024, 5, 2, 9, 0)


@dataclass(frozen=True)
class Said:
    speaker: str
    lines: tuple[str, ...]  # the first may be empty: the text starts on the next line


@dataclass(frozen=True)
class Notice:
    actor: str


Event = Said | Notice

line_text = st.lists(st.sampled_from(WORDS), max_size=4).map(" ".join)
said = st.builds(
    Said,
    st.sampled_from(SPEAKERS),
    st.lists(line_text, min_size=1, max_size=4).map(tuple),
)
events = st.lists(
    st.one_of(said, st.builds(Notice, st.sampled_from(SPEAKERS[:3]))), min_size=1, max_size=25
)  # an export of nothing but its header is the same in Android and iOS


def korean_clock(when: datetime) -> str:
    return f"{'오전' if when.hour < 12 else '오후'} {(when.hour - 1) % 12 + 1}:{when.minute:02d}"


def english_clock(when: datetime) -> str:
    return f"{(when.hour - 1) % 12 + 1}:{when.minute:02d} {'AM' if when.hour < 12 else 'PM'}"


@dataclass(frozen=True)
class Renderer:
    """How one format writes a header, a message head and a notice (mobile: with a stamp)."""

    header: tuple[str, ...]
    day: str
    head: Callable[[datetime, str], str]
    notice: Callable[[datetime, str], str]


RENDERERS = {
    ChatFormat.PC_WINDOWS_KO: Renderer(
        ("우리방 님과 카카오톡 대화", "저장한 날짜 : 2024-05-03 00:20:41"),
        "--------------- 2024년 5월 2일 목요일 ---------------",
        lambda when, who: f"[{who}] [{korean_clock(when)}] ",
        lambda when, who: f"{who}님이 나갔습니다.",
    ),
    ChatFormat.ANDROID_KO: Renderer(
        ("우리방 님과 카카오톡 대화", "저장한 날짜 : 2024년 5월 3일 오전 12:20"),
        "2024년 5월 2일 목요일",
        lambda when, who: f"2024년 5월 2일 {korean_clock(when)}, {who} : ",
        lambda when, who: f"2024년 5월 2일 {korean_clock(when)}, {who}님이 들어왔습니다.",
    ),
    ChatFormat.IOS_KO: Renderer(
        ("우리방(4명)과 카카오톡 대화", "저장한 날짜 : 2024. 5. 3. 오전 12:20"),
        "2024년 5월 2일 목요일",
        lambda when, who: f"2024. 5. 2. {when.hour}:{when.minute:02d}, {who} : ",
        lambda when, who: f"2024. 5. 2. {when.hour}:{when.minute:02d}: {who}님이 나갔습니다.",
    ),
    ChatFormat.ANDROID_EN: Renderer(
        ("Our Room with KakaoTalk Chats", "Date Saved : May 3, 2024, 12:20 AM"),
        "May 2, 2024, 9:00 AM",
        lambda when, who: f"May 2, 2024, {english_clock(when)}, {who} : ",
        lambda when, who: f"May 2, 2024, {english_clock(when)}, {who} left this chatroom.",
    ),
}


def render(chat_format: ChatFormat, history: Sequence[Event]) -> tuple[str, list[LineRole]]:
    """The export text and the role each of its lines must get."""
    renderer = RENDERERS[chat_format]
    lines = [*renderer.header, "", renderer.day]
    roles = [LineRole.HEADER, LineRole.HEADER, LineRole.BLANK, LineRole.DAY]
    for minute, event in enumerate(history):
        when = START + timedelta(minutes=minute)
        if isinstance(event, Notice):
            lines.append(renderer.notice(when, event.actor))
            roles.append(LineRole.SYSTEM)
            continue
        first, *rest = event.lines
        lines += [renderer.head(when, event.speaker) + first, *rest]
        roles += [LineRole.MESSAGE, *[LineRole.CONTINUATION] * len(rest)]
    return "\n".join(lines) + "\n", roles


def render_csv(history: Sequence[Event]) -> tuple[str, list[LineRole]]:
    lines, roles = ["Date,User,Message"], [LineRole.HEADER]
    for minute, event in enumerate(history):
        stamp = f"{START + timedelta(minutes=minute):%Y-%m-%d %H:%M:%S}"
        if isinstance(event, Notice):
            lines.append(f"{stamp},,{event.actor}님이 나갔습니다.")
            roles.append(LineRole.SYSTEM)
            continue
        text = "\n".join(event.lines).replace('"', '""')
        lines.append(f'{stamp},"{event.speaker}","{text}"')
        roles += [LineRole.MESSAGE, *[LineRole.CONTINUATION] * (len(event.lines) - 1)]
    return "\n".join(lines) + "\n", roles


def expected_messages(history: Sequence[Event]) -> tuple[list[tuple[str, str]], int]:
    """The messages a parse must keep, and how many it must drop as empty."""
    kept = [
        (event.speaker, "\n".join(event.lines).strip())
        for event in history
        if isinstance(event, Said)
    ]
    return [row for row in kept if row[1]], sum(1 for _, text in kept if not text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    chat_format=st.sampled_from([*RENDERERS, ChatFormat.MACOS_CSV]),
    history=events,
    crlf=st.booleans(),
)
def test_every_line_lands_in_exactly_one_place(chat_format, history, crlf):
    if chat_format is ChatFormat.MACOS_CSV:
        text, roles = render_csv(history)
    else:
        text, roles = render(chat_format, history)
    kept, empty = expected_messages(history)

    chat = parse_chat(text.replace("\n", "\r\n") if crlf else text)

    assert chat.format is chat_format
    assert list(chat.report.roles) == roles
    assert [(message.speaker, message.text) for message in chat.messages] == kept
    assert chat.report.dropped.get("empty", 0) == empty
    assert sum(chat.report.system.values()) == roles.count(LineRole.SYSTEM)


def words(texts: Sequence[str]) -> list[int]:
    return [len(text.split()) for text in texts]


timed_chats = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 600)), min_size=1, max_size=40
).map(
    lambda pairs: ParsedChat(
        ChatFormat.JSON,
        None,
        [
            Message(
                f"사람{who}",
                f"말 {index}",
                START + timedelta(minutes=sum(p[1] for p in pairs[: index + 1])),
            )
            for index, (who, _) in enumerate(pairs)
        ],
    )
)


@settings(max_examples=150, deadline=None)
@given(chat=timed_chats, min_messages=st.integers(1, 15), min_speakers=st.integers(1, 4))
def test_selection_holds_its_minimum_when_the_chat_has_it(chat, min_messages, min_speakers):
    dialogue = select_dialogue(
        chat,
        count_tokens=words,
        max_tokens=10_000,
        min_messages=min_messages,
        min_speakers=min_speakers,
    )

    assert dialogue.message_count >= min(min_messages, len(chat.messages))
    speakers = len({message.speaker for message in chat.messages})
    assert dialogue.speaker_count >= min(min_speakers, speakers)
    assert dialogue.selection is not None
    assert dialogue.selection.budget_dropped == 0


@settings(max_examples=150, deadline=None)
@given(chat=timed_chats, min_messages=st.integers(1, 15), max_tokens=st.integers(1, 60))
def test_only_the_budget_keeps_selection_below_its_minimum(chat, min_messages, max_tokens):
    dialogue = select_dialogue(
        chat, count_tokens=words, max_tokens=max_tokens, min_messages=min_messages
    )

    wanted = min(min_messages, len(chat.messages))
    if dialogue.message_count < wanted:
        newest = [f"P00: {message.text}" for message in chat.messages[-wanted:]]
        assert sum(words(newest)) > max_tokens
        assert dialogue.selection is not None
        assert "token budget" in dialogue.selection.reason


hangul = st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3)
latin = st.characters(min_codepoint=ord("a"), max_codepoint=ord("z"))
names = st.text(st.one_of(hangul, latin), min_size=MIN_NAME_LENGTH, max_size=5)
GLUE = ["", " ", "가", "는", "야", "님", "abc", "123", "_", "@", ", ", "김", "씨", "\n", "ㅋ"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    speakers=st.lists(names, min_size=1, max_size=6, unique=True),
    data=st.data(),
)
def test_no_speaker_name_survives_pseudonymization(speakers, data):
    def text() -> str:
        pieces = data.draw(
            st.lists(st.one_of(st.sampled_from(speakers), st.sampled_from(GLUE)), max_size=12)
        )
        return "".join(pieces) or "ㅋ"

    chat = ParsedChat(
        ChatFormat.JSON,
        None,
        [Message(data.draw(st.sampled_from(speakers)), text(), None) for _ in range(5)],
    )

    dialogue = select_dialogue(chat, count_tokens=words, max_tokens=10_000)

    members = {message.speaker for message in chat.messages}  # names the chat can know
    without_labels = re.sub(r"P\d{2,}", "\0", dialogue.text)
    assert [name for name in members if name in without_labels] == []
