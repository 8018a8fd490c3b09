"""What ingestion makes of one export file, as counts: the report behind ``calle inspect``.

Operators run it on a user's file when a summary looks wrong. The report says how the file was
read (format, encoding, repairs), what it holds (messages, speakers, time span), what was
dropped or rewritten (system lines and placeholders by kind, dropped messages by reason), which
lines could not be placed (line numbers only) and what selection would summarize. It holds no
chat text, no names and no room name unless ``include_text`` asks for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from gateway.ingest.accounting import LineRole
from gateway.ingest.chat import SelectionReport
from gateway.ingest.errors import IngestError
from gateway.ingest.parsing import parse_chat
from gateway.ingest.selection import TokenCounter, select_dialogue

# Keys that hold chat text: present only when it was asked for.
_TEXT_KEYS = ("room", "dialogue")


@dataclass(frozen=True)
class Selected:
    """What selection would send to the summarizer."""

    messages: int
    speakers: int
    first: str | None
    last: str | None
    why: SelectionReport
    dialogue: str | None = None  # pseudonymized text, only when asked for


@dataclass(frozen=True)
class Inspection:
    """How one file was read (counts, kinds and line numbers; see the module docstring)."""

    format: str
    encoding: str
    repairs: list[str]
    messages: int
    speakers: int
    first: str | None
    last: str | None
    lines: dict[str, int]
    system_lines: dict[str, int]
    placeholders: dict[str, int]
    dropped_messages: dict[str, int]
    unplaced_lines: list[int]
    selection: Selected | None
    selection_error: str | None = None
    room: str | None = None  # only when asked for


@dataclass(frozen=True)
class Rejected:
    """The file is no export the gateway accepts; the error users would get."""

    error_en: str
    error_ko: str


def inspect_export(
    data: bytes | str,
    *,
    count_tokens: TokenCounter,
    max_tokens: int,
    gap: timedelta,
    min_messages: int,
    min_speakers: int,
    include_text: bool = False,
) -> Inspection | Rejected:
    """Parse ``data`` and select its dialogue as the gateway would, and report on both.

    Args:
        data: The export file's bytes (or text).
        count_tokens: Token counts for a batch of texts (see
            :func:`gateway.ingest.select_dialogue`).
        max_tokens: The summarizer's source budget.
        gap: The silence that ends a conversation.
        min_messages: The selection minimum of messages.
        min_speakers: The selection minimum of speakers.
        include_text: Add the room name and the pseudonymized dialogue (chat text).
    """
    try:
        chat = parse_chat(data)
    except IngestError as error:
        return Rejected(error.message_en, error.message_ko)
    report = chat.report
    times = [message.time for message in chat.messages if message.time is not None]
    selection: Selected | None = None
    selection_error: str | None = None
    try:
        dialogue = select_dialogue(
            chat,
            count_tokens=count_tokens,
            max_tokens=max_tokens,
            gap=gap,
            min_messages=min_messages,
            min_speakers=min_speakers,
        )
    except IngestError as error:
        selection_error = error.message_en
    else:
        assert dialogue.selection is not None  # select_dialogue always reports
        selection = Selected(
            messages=dialogue.message_count,
            speakers=dialogue.speaker_count,
            first=_iso(dialogue.start),
            last=_iso(dialogue.end),
            why=dialogue.selection,
            dialogue=dialogue.text if include_text else None,
        )
    return Inspection(
        format=chat.format.value,
        encoding=report.encoding,
        repairs=list(report.repairs),
        messages=len(chat.messages),
        speakers=len({message.speaker for message in chat.messages}),
        first=_iso(min(times, default=None)),
        last=_iso(max(times, default=None)),
        lines=report.role_counts(),
        system_lines=dict(report.system),
        placeholders=dict(report.placeholders),
        dropped_messages=dict(report.dropped),
        unplaced_lines=report.lines_with(LineRole.UNPLACED),
        selection=selection,
        selection_error=selection_error,
        room=chat.room if include_text else None,
    )


def to_json(result: Inspection | Rejected) -> dict[str, object]:
    """``result`` as JSON-ready data; keys holding chat text appear only when filled."""
    document = asdict(result)
    for holder in (document, document.get("selection") or {}):
        for key in _TEXT_KEYS:
            if key in holder and holder[key] is None:
                del holder[key]
    return document


def format_report(name: str, result: Inspection | Rejected) -> str:
    """``result`` as an operator reads it: one ``key: value`` line per fact."""
    lines = [f"== {name}"]
    if isinstance(result, Rejected):
        return "\n".join([*lines, f"rejected: {result.error_en}"])
    lines += [
        f"format: {result.format} ({result.encoding})",
        f"repairs: {_listed(result.repairs)}",
        f"messages: {result.messages} from {result.speakers} speakers, "
        f"{result.first or '?'} .. {result.last or '?'}",
        f"lines: {_counts(result.lines)}",
        f"system lines dropped: {_counts(result.system_lines)}",
        f"placeholders: {_counts(result.placeholders)}",
        f"messages dropped: {_counts(result.dropped_messages)}",
        f"unplaced lines: {_listed(result.unplaced_lines)}",
    ]
    if result.room is not None:
        lines.append(f"room: {result.room}")
    selected = result.selection
    if selected is None:
        lines.append(f"selection: {result.selection_error}")
    else:
        lines += [
            f"selection: {selected.messages} messages from {selected.speakers} speakers, "
            f"{selected.first or '?'} .. {selected.last or '?'}",
            f"why: {selected.why.reason}",
        ]
        if selected.dialogue is not None:
            lines += ["dialogue:", selected.dialogue]
    return "\n".join(lines)


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat(sep=" ")


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{kind} {count}" for kind, count in counts.items() if count) or "none"


def _listed(values: list[str] | list[int]) -> str:
    return ", ".join(map(str, values)) or "none"
