"""Seeded, varied Korean group chats in every format the gateway reads, for load and tests.

A load test that sends one chat over and over measures a cache, not a service: real uploads
differ in format (PC, macOS, Android and iOS exports in Korean or English, JSON messages), in
length (a handful of messages to hundreds) and in shape (several conversations hours apart,
multi-line messages, photos, emoticons, people joining and leaving). This module makes such
chats from a seed, so a run can be repeated and the baseline and our stack get the very same
requests, and it says which messages the parser should find in each (what remains after
KakaoTalk's own lines are dropped and media placeholders become tags), so the tests can check
every generated chat against :func:`gateway.ingest.parse_chat`.

The line shapes follow :mod:`gateway.ingest.line_formats` and the fixtures of the ingest tests.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gateway.ingest.chat import ChatFormat
from gateway.service_io import ChatInput, ChatMessage, chat_of_messages

ALL_FORMATS: tuple[ChatFormat, ...] = tuple(ChatFormat)
ENGLISH_UI = frozenset({ChatFormat.PC_WINDOWS_EN, ChatFormat.ANDROID_EN, ChatFormat.IOS_EN})

# Messages per chat: (weight, fewest, most). Most uploads are a recent conversation; some are
# months of a busy room, which the gateway trims to the summarizer's budget.
LENGTHS: tuple[tuple[int, int, int], ...] = ((4, 4, 12), (4, 20, 60), (2, 100, 300))

SPEAKERS = (
    "김민지",
    "박지훈",
    "이서연",
    "최도윤",
    "정수아",
    "강하준",
    "조예린",
    "윤지우",
    "장서준",
    "임하은",
    "한유진",
    "오현우",
    "막내",
    "총무 지민",
)
ROOMS = (
    "제주도 가즈아",
    "03학번 동기방",
    "풋살 모임 ⚽",
    "우리 가족",
    "스터디 3조",
    "이사 준비방",
    "생일 파티 기획",
    "회사 점심팟",
)

# Topics: what the conversation is about, the lines people write about it, and a sentence such
# as a summary would be (the prompt of image-only users).
_SLOTS: dict[str, tuple[str, ...]] = {
    "place": ("부산", "강릉", "제주도", "속초", "경주", "여수", "가평"),
    "station": ("강남역", "서울역", "홍대입구역", "잠실역", "수원역"),
    "food": ("삼겹살", "김치찌개", "떡볶이", "회", "치킨", "흑돼지", "칼국수"),
    "day": ("토요일", "일요일", "금요일 저녁", "다음 주 월요일", "연휴 첫날"),
    "hour": ("7시", "7시 반", "8시", "10시", "오후 2시"),
    "thing": ("수건", "선크림", "보조배터리", "우산", "노트북", "충전기"),
}


@dataclass(frozen=True)
class _Topic:
    lines: tuple[str, ...]
    summary: str


_TOPICS: tuple[_Topic, ...] = (
    _Topic(
        (
            "이번 주말에 {place} 갈래?",
            "{place} 바다 진짜 보고 싶다",
            "KTX 표 아직 남아있어?",
            "방금 봤는데 {day} 아침 표는 좀 남았어",
            "숙소는 내가 알아볼게",
            "{place} 가면 {food} 무조건 먹어야 해",
            "{station}에서 {hour}에 모이자",
            "준비물 정리했어\n{thing} 챙기고\n{thing}도 꼭",
            "렌트카 빌릴까 아니면 버스 탈까",
            "1인당 15만 원 정도면 될 듯",
            "나 {day}는 알바 있어서 오후에 합류할게",
        ),
        "친구들이 주말에 바다로 여행을 떠나기로 했다.",
    ),
    _Topic(
        (
            "다음 주 {day} 회식 어때?",
            "장소는 {station} 근처 {food}집 어때",
            "예약은 {hour}으로 해둘게요",
            "저 그날 야근일 수도 있어요 ㅠㅠ",
            "팀장님도 오신대요",
            "2차는 노래방 가자",
            "회비는 3만 원씩 걷을게요",
            "채식하는 분 있으면 말해 주세요",
        ),
        "팀원들이 다음 주 저녁 회식 장소와 시간을 정했다.",
    ),
    _Topic(
        (
            "이번 주 스터디 {day} {hour} 맞지?",
            "과제 3번 문제 푼 사람?",
            "나 아직 2장까지밖에 못 읽었어",
            "발표 순서 정하자",
            "자료는 공유 폴더에 올려둘게",
            "다음 주는 온라인으로 하자\n링크는 내가 만들게",
            "{station} 스터디카페 예약했어",
            "모르는 거 있으면 질문 올려줘",
        ),
        "스터디원들이 다음 모임 날짜와 발표 순서를 정했다.",
    ),
    _Topic(
        (
            "{day}에 엄마 생신 파티 하자",
            "케이크는 내가 {station} 앞에서 사 올게",
            "선물은 뭐가 좋을까",
            "작년에는 꽃다발 드렸잖아",
            "{food} 먹으러 가는 건 어때",
            "아빠한테는 비밀로 하자 ㅋㅋ",
            "{hour}까지 집으로 와",
            "풍선이랑 초 챙겨\n초는 숫자 초로",
        ),
        "가족이 어머니 생신 파티를 깜짝으로 준비했다.",
    ),
    _Topic(
        (
            "{day} 풋살 인원 체크할게요",
            "저 참석이요",
            "구장은 {station} 근처로 잡았어요",
            "{hour} 시작이라 조금 일찍 와주세요",
            "조끼 챙겨오실 분?",
            "비 오면 취소예요",
            "끝나고 {food} 먹으러 가요",
            "지난주 회비 아직 안 낸 사람 있어요",
        ),
        "풋살 모임이 이번 경기 인원과 구장을 정했다.",
    ),
    _Topic(
        (
            "이사 날짜 {day}로 확정됐어",
            "짐 옮기는 거 도와줄 사람?",
            "용달 불렀는데 {hour}에 온대",
            "박스 남는 거 있으면 줘",
            "끝나고 짜장면 먹자 ㅋㅋ",
            "{thing} 빌려줄 수 있어?",
            "새 집 주소 보내줄게\n{station}에서 걸어서 10분",
        ),
        "친구들이 이삿날 짐 옮기는 일을 함께 돕기로 했다.",
    ),
)

_REACTIONS = (
    "ㅋㅋㅋㅋ",
    "ㅇㅇ 좋아",
    "헐 대박",
    "콜!",
    "오 좋다",
    "나도 나도",
    "ㄱㄱ",
    "아 진짜?",
    "그럼 그렇게 하자",
    "넵 알겠습니다",
    "잠깐만 확인해볼게",
    "ㅠㅠ 나 못 갈 듯",
)

# Media placeholders as each export language writes them, and the tag the parser keeps (None:
# the message is dropped, as emoticon-only and deleted messages are).
_MEDIA_KO: tuple[tuple[str, str | None], ...] = (
    ("사진", "[사진]"),
    ("사진 3장", "[사진]"),
    ("동영상", "[동영상]"),
    ("이모티콘", None),
    ("음성메시지", "[음성]"),
    ("파일: 일정표.pdf", "[파일] 일정표.pdf"),
    ("삭제된 메시지입니다.", None),
)
_MEDIA_EN: tuple[tuple[str, str | None], ...] = (
    ("Photo", "[사진]"),
    ("3 photos", "[사진]"),
    ("Video", "[동영상]"),
    ("Emoticon", None),
    ("Voice Note", "[음성]"),
    ("File: plan.pdf", "[파일] plan.pdf"),
    ("This message was deleted.", None),
)

_WEEKDAYS_KO = ("월요일", "화요일", "수요일", "목요일", "금요일", "토요일", "일요일")
_WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAY_RULE = "---------------"


@dataclass(frozen=True)
class ExpectedMessage:
    """A message as the parser should return it.

    Attributes:
        speaker: The display name.
        text: The text after clean-up (media placeholders as tags).
        time: When it was sent, to the minute for line-based exports.
    """

    speaker: str
    text: str
    time: datetime | None


@dataclass(frozen=True)
class GeneratedChat:
    """One generated chat, its export text and the messages it holds.

    Attributes:
        chat_format: The export format it is written in.
        room: The room name in the export header (``None`` for macOS CSV and JSON).
        content: The export file's text (for JSON, the message list as JSON text).
        messages: What :func:`gateway.ingest.parse_chat` should find, oldest first.
        image_seed: The seed a request for its picture sends, so that runs repeat.
    """

    chat_format: ChatFormat
    room: str | None
    content: str
    messages: tuple[ExpectedMessage, ...]
    image_seed: int

    def request_body(self) -> dict[str, Any]:
        """The JSON body of ``/v1/summaries``: export text as ``chat``, JSON as ``messages``."""
        if self.chat_format is ChatFormat.JSON:
            return {"messages": json.loads(self.content)}
        return {"chat": self.content}

    def chat_image_body(self) -> dict[str, Any]:
        """The JSON body of ``/v1/chat-images``, seeded so that runs repeat."""
        return {**self.request_body(), "image": {"seed": self.image_seed}}

    def chat_input(self) -> ChatInput:
        """The service layer's chat for :meth:`request_body`, read as the gateway reads it."""
        if self.chat_format is ChatFormat.JSON:
            messages = json.loads(self.content)
            return chat_of_messages([ChatMessage.model_validate(item) for item in messages])
        return ChatInput(self.content)


@dataclass(frozen=True)
class _Message:
    speaker: str
    written: str  # as the export writes it
    kept: str | None  # as the parser keeps it; None when it drops the message
    time: datetime


@dataclass(frozen=True)
class _Notice:
    """A KakaoTalk line about members: ``invite`` (actor invites other), ``join``, ``leave``."""

    kind: str
    actor: str
    other: str
    time: datetime

    def text(self, english: bool) -> str:
        if english:
            return {
                "invite": f"{self.actor} invited {self.other}.",
                "join": f"{self.actor} joined this chatroom.",
                "leave": f"{self.actor} left this chatroom.",
            }[self.kind]
        return {
            "invite": f"{self.actor}님이 {self.other}님을 초대했습니다.",
            "join": f"{self.actor}님이 들어왔습니다.",
            "leave": f"{self.actor}님이 나갔습니다.",
        }[self.kind]


_Event = _Message | _Notice


class ChatGenerator:
    """Makes the chats and prompts of a load test from one seed.

    Every (user, index) pair always gives the same chat, so each simulated user sends its own
    repeatable sequence and two runs with the same seed send the same requests.

    Args:
        seed: The run's seed.
        formats: The export formats to draw from (all by default).
    """

    def __init__(self, seed: int = 0, formats: Sequence[ChatFormat] = ALL_FORMATS) -> None:
        if not formats:
            raise ValueError("need at least one chat format")
        self.seed = seed
        self.formats = tuple(formats)

    def chat(self, user: int, index: int) -> GeneratedChat:
        """Chat number ``index`` of simulated user ``user``."""
        rng = self._rng("chat", user, index)
        chat_format = self.formats[(user + index) % len(self.formats)]
        events = _conversation(rng)
        room = rng.choice(ROOMS)
        english = chat_format in ENGLISH_UI
        events = [_localized(event, english) for event in events]
        render = _RENDERERS[chat_format]
        return GeneratedChat(
            chat_format=chat_format,
            room=None if chat_format in (ChatFormat.MACOS_CSV, ChatFormat.JSON) else room,
            content=render(room, events),
            messages=tuple(_expected(events, chat_format)),
            image_seed=rng.randrange(2**32),
        )

    def chats(self, user: int) -> Iterator[GeneratedChat]:
        """The endless sequence of chats that simulated user ``user`` sends."""
        index = 0
        while True:
            yield self.chat(user, index)
            index += 1

    def prompt(self, user: int, index: int) -> str:
        """A summary-like sentence to draw, for image-only users."""
        rng = self._rng("prompt", user, index)
        return rng.choice(_TOPICS).summary

    def _rng(self, kind: str, user: int, index: int) -> random.Random:
        return random.Random(f"{self.seed}:{kind}:{user}:{index}")


def _conversation(rng: random.Random) -> list[_Event]:
    """Messages in one to four bursts hours apart (the gateway summarizes the last one)."""
    _, low, high = rng.choices(LENGTHS, weights=[w for w, _, _ in LENGTHS])[0]
    total = rng.randint(low, high)
    members = rng.sample(SPEAKERS, rng.randint(3, 7))
    topic = rng.choice(_TOPICS)
    bursts = min(rng.randint(1, 4), total)
    cuts = sorted(rng.sample(range(1, total), bursts - 1)) if bursts > 1 else []
    sizes = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
    clock = datetime(2024, 1, 1) + timedelta(
        days=rng.randrange(700), minutes=rng.randrange(9 * 60, 22 * 60)
    )
    events: list[_Event] = []
    for burst, size in enumerate(sizes):
        if burst:
            clock += timedelta(hours=rng.randint(3, 60), minutes=rng.randrange(60))
            topic = rng.choice(_TOPICS)
        for _ in range(size):
            clock += timedelta(seconds=rng.choice((5, 20, 40, 70, 150, 400)))
            if rng.random() < 0.04:
                events.append(_notice(rng, members, clock))
            events.append(_message(rng, members, topic, clock))
    return events


def _message(rng: random.Random, members: list[str], topic: _Topic, when: datetime) -> _Message:
    speaker = rng.choice(members)
    draw = rng.random()
    if draw < 0.08:
        # Placeholder in Korean for now; _localized swaps it for the English UI's word.
        written, kept = rng.choice(_MEDIA_KO)
        return _Message(speaker, written, kept, when)
    if draw < 0.30:
        text = rng.choice(_REACTIONS)
    else:
        text = rng.choice(topic.lines)
        for slot, values in _SLOTS.items():
            while "{" + slot + "}" in text:
                text = text.replace("{" + slot + "}", rng.choice(values), 1)
    return _Message(speaker, text, text, when)


def _notice(rng: random.Random, members: list[str], when: datetime) -> _Notice:
    actor, other = rng.sample(members, 2)
    return _Notice(rng.choice(("invite", "join", "leave")), actor, other, when)


def _localized(event: _Event, english: bool) -> _Event:
    """The English UI writes placeholders in English; chat text stays as people typed it."""
    if not english or not isinstance(event, _Message):
        return event
    for (korean, _), (word, kept) in zip(_MEDIA_KO, _MEDIA_EN, strict=True):
        if event.written == korean:
            return _Message(event.speaker, word, kept, event.time)
    return event


def _expected(events: Sequence[_Event], chat_format: ChatFormat) -> Iterator[ExpectedMessage]:
    to_minute = chat_format not in (ChatFormat.MACOS_CSV, ChatFormat.JSON)
    for event in events:
        if isinstance(event, _Message) and event.kept is not None:
            when = event.time.replace(second=0) if to_minute else event.time
            yield ExpectedMessage(event.speaker, event.kept, when)


# --- time stamps -------------------------------------------------------------------------------


def _clock_ko(when: datetime) -> str:
    """``오후 9:03`` (12-hour clock: 오전 12:05 is five past midnight)."""
    meridiem = "오전" if when.hour < 12 else "오후"
    return f"{meridiem} {when.hour % 12 or 12}:{when.minute:02d}"


def _clock_en(when: datetime) -> str:
    """``9:03 PM``."""
    return f"{when.hour % 12 or 12}:{when.minute:02d} {'AM' if when.hour < 12 else 'PM'}"


def _date_ko(when: datetime) -> str:
    return f"{when.year}년 {when.month}월 {when.day}일"


def _date_en(when: datetime, *, short: bool) -> str:
    month = _MONTHS_EN[when.month - 1]
    return f"{month[:3] if short else month} {when.day}, {when.year}"


def _saved(events: Sequence[_Event]) -> datetime:
    """When the export was saved: a little after the last line."""
    return events[-1].time + timedelta(minutes=17)


# --- renderers -----------------------------------------------------------------------------------


def _line_export(
    header: Sequence[str],
    events: Sequence[_Event],
    *,
    day_line: Callable[[datetime], str],
    message: Callable[[_Message], str],
    notice: Callable[[_Notice], str],
    newline: str = "\n",
) -> str:
    """Header, then a day line whenever the date changes, then messages and notices."""
    lines = [*header, ""]
    day = None
    for event in events:
        if event.time.date() != day:
            day = event.time.date()
            lines.append(day_line(event.time))
        lines.append(message(event) if isinstance(event, _Message) else notice(event))
    return newline.join(lines) + newline


def _pc_windows_ko(room: str, events: Sequence[_Event]) -> str:
    # The PC app writes CRLF line breaks; notices are bare lines between messages.
    return _line_export(
        (f"{room} 님과 카카오톡 대화", f"저장한 날짜 : {_saved(events):%Y-%m-%d %H:%M:%S}"),
        events,
        day_line=lambda t: f"{_DAY_RULE} {_date_ko(t)} {_WEEKDAYS_KO[t.weekday()]} {_DAY_RULE}",
        message=lambda m: f"[{m.speaker}] [{_clock_ko(m.time)}] {m.written}",
        notice=lambda n: n.text(english=False),
        newline="\r\n",
    )


def _pc_windows_en(room: str, events: Sequence[_Event]) -> str:
    return _line_export(
        (f"{room} with KakaoTalk Chats", f"Date Saved : {_saved(events):%Y-%m-%d %H:%M:%S}"),
        events,
        day_line=lambda t: (
            f"{_DAY_RULE} {_WEEKDAYS_EN[t.weekday()]}, {_date_en(t, short=False)} {_DAY_RULE}"
        ),
        message=lambda m: f"[{m.speaker}] [{_clock_en(m.time)}] {m.written}",
        notice=lambda n: n.text(english=True),
        newline="\r\n",
    )


def _android_ko(room: str, events: Sequence[_Event]) -> str:
    def stamp(t: datetime) -> str:
        return f"{_date_ko(t)} {_clock_ko(t)}"

    return _line_export(
        (f"{room} 님과 카카오톡 대화", f"저장한 날짜 : {stamp(_saved(events))}"),
        events,
        day_line=stamp,  # Android opens each day with a bare time stamp
        message=lambda m: f"{stamp(m.time)}, {m.speaker} : {m.written}",
        notice=lambda n: f"{stamp(n.time)}, {n.text(english=False)}",
    )


def _ios_ko(room: str, events: Sequence[_Event]) -> str:
    def stamp(t: datetime) -> str:
        return f"{t.year}. {t.month}. {t.day}. {_clock_ko(t)}"

    return _line_export(
        (f"{room} 님과 카카오톡 대화", f"저장한 날짜 : {stamp(_saved(events))}"),
        events,
        day_line=lambda t: f"{_date_ko(t)} {_WEEKDAYS_KO[t.weekday()]}",
        message=lambda m: f"{stamp(m.time)}, {m.speaker} : {m.written}",
        notice=lambda n: f"{stamp(n.time)}: {n.text(english=False)}",
    )


def _android_en(room: str, events: Sequence[_Event]) -> str:
    def stamp(t: datetime) -> str:
        return f"{_date_en(t, short=True)}, {_clock_en(t)}"

    return _line_export(
        (f"{room} with KakaoTalk Chats", f"Date Saved : {stamp(_saved(events))}"),
        events,
        day_line=stamp,
        message=lambda m: f"{stamp(m.time)}, {m.speaker} : {m.written}",
        notice=lambda n: f"{stamp(n.time)}, {n.text(english=True)}",
    )


def _ios_en(room: str, events: Sequence[_Event]) -> str:
    def stamp(t: datetime) -> str:
        return f"{_date_en(t, short=True)}, {_clock_en(t)}"

    saved = _saved(events)
    return _line_export(
        (
            f"KakaoTalk Chats with {room}",
            f"Date Saved : {_date_en(saved, short=True)} at {_clock_en(saved)}",
        ),
        events,
        day_line=lambda t: f"{_WEEKDAYS_EN[t.weekday()]}, {_date_en(t, short=True)}",
        message=lambda m: f"{stamp(m.time)}, {m.speaker} : {m.written}",
        notice=lambda n: f"{stamp(n.time)}: {n.text(english=True)}",
    )


def _macos_csv(_room: str, events: Sequence[_Event]) -> str:
    """``Date,User,Message`` rows; notices have no user. The csv module quotes what needs it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["Date", "User", "Message"])
    for event in events:
        stamp = f"{event.time:%Y-%m-%d %H:%M:%S}"
        if isinstance(event, _Message):
            writer.writerow([stamp, event.speaker, event.written])
        else:
            writer.writerow([stamp, "", event.text(english=False)])
    return buffer.getvalue()


def _json_messages(_room: str, events: Sequence[_Event]) -> str:
    """A message list as a client app would send it: no notices, ISO-8601 times."""
    items = [
        {"speaker": event.speaker, "text": event.written, "time": event.time.isoformat()}
        for event in events
        if isinstance(event, _Message)
    ]
    return json.dumps(items, ensure_ascii=False)


_RENDERERS: dict[ChatFormat, Callable[[str, Sequence[_Event]], str]] = {
    ChatFormat.PC_WINDOWS_KO: _pc_windows_ko,
    ChatFormat.PC_WINDOWS_EN: _pc_windows_en,
    ChatFormat.MACOS_CSV: _macos_csv,
    ChatFormat.ANDROID_KO: _android_ko,
    ChatFormat.ANDROID_EN: _android_en,
    ChatFormat.IOS_KO: _ios_ko,
    ChatFormat.IOS_EN: _ios_en,
    ChatFormat.JSON: _json_messages,
}
