"""Property tests: no input makes the parser fail with anything but its own IngestError."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.ingest import (
    EmptyChatError,
    IngestError,
    ParsedChat,
    parse_chat,
    parse_messages_json,
    select_dialogue,
)

FIXTURES = Path(__file__).parent / "fixtures"
EXPORT_LINES = {
    path.name: path.read_text(encoding="utf-8").split("\n")
    for path in sorted(FIXTURES.iterdir())
    if path.suffix in {".txt", ".csv"}
}

# Pieces of real export syntax, so junk often almost matches a pattern.
FRAGMENTS = [
    "[",
    "] ",
    "[민지] ",
    "[오후 ",
    "[9:03 PM] ",
    "오전 ",
    "12:",
    "00",
    "13",
    "2024년 ",
    "2월 30일 ",
    "5월 2일 ",
    "2024. 5. 2. ",
    "May 2, 2024, ",
    "Smarch 2, 2024, ",
    "9:03pm, ",
    ", ",
    " : ",
    ": ",
    "---------------",
    "목요일",
    "님이 들어왔습니다.",
    "사진",
    "이모티콘",
    "파일: ",
    '"',
    ",,",
    "Date,User,Message",
    "\n",
    "\r",
    "\ufeff",
    "\u202f",
    "{",
    "}",
]
junk = st.one_of(
    st.text(max_size=40), st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join)
)


def words(texts: Sequence[str]) -> list[int]:
    return [len(text.split()) for text in texts]


def check_parsed(chat: ParsedChat) -> None:
    """Invariants of every successful parse, and selection never fails but with EmptyChatError."""
    for message in chat.messages:
        assert message.speaker
        assert message.speaker == message.speaker.strip()
        assert message.text
        assert message.text == message.text.strip()
        assert message.text != "[이모티콘]"
    try:
        dialogue = select_dialogue(chat, count_tokens=words, max_tokens=30)
    except EmptyChatError:
        assert not chat.messages
        return
    assert len(dialogue.text.split("\n")) == dialogue.message_count >= 1
    assert dialogue.message_count == 1 or words([dialogue.text])[0] <= 30


def parse_or_reject(data: bytes | str) -> None:
    try:
        chat = parse_chat(data)
    except IngestError:
        return
    check_parsed(chat)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_any_bytes_parse_or_raise_ingest_error(data):
    parse_or_reject(data)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=2000))
def test_any_text_parses_or_raises_ingest_error(text):
    parse_or_reject(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(sorted(EXPORT_LINES)),
    insertions=st.lists(st.tuples(st.integers(min_value=0), junk), max_size=8),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp949-or-utf-8", "str"]),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_valid_lines_with_junk_parse_or_raise_ingest_error(name, insertions, encoding, newline):
    lines = list(EXPORT_LINES[name])
    for position, text in insertions:
        lines.insert(position % (len(lines) + 1), text)
    text = newline.join(lines)
    if encoding == "str":
        parse_or_reject(text)
    elif encoding == "cp949-or-utf-8":
        try:
            parse_or_reject(text.encode("cp949"))
        except UnicodeEncodeError:  # junk outside CP949: test the UTF-8 path instead
            parse_or_reject(text.encode("utf-8"))
    else:
        parse_or_reject(text.encode(encoding))


def test_fixtures_without_junk_parse():
    for lines in EXPORT_LINES.values():
        assert parse_chat("\n".join(lines)).messages


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["speaker", "text", "time", "x"]) | st.text(max_size=5),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)
message_dicts = st.fixed_dictionaries(
    {"speaker": st.text(max_size=10), "text": st.text(max_size=30)},
    optional={
        "time": st.none() | st.datetimes().map(lambda d: d.isoformat()) | st.text(max_size=20)
    },
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(json_values, st.lists(message_dicts, max_size=8)))
def test_any_json_value_parses_or_raises_ingest_error(obj):
    try:
        chat = parse_messages_json(obj)
    except IngestError:
        return
    check_parsed(chat)
