"""Evaluation datasets: JSONL lines of a dialogue and its reference summary.

One JSON object per line: ``{"id": "busan-trip", "dialogue": ..., "summary": "..."}``.
``id`` is optional (the line number stands in for it). ``dialogue`` takes the three forms
operators have at hand:

- a string in the summarizer's input form, one turn per line (``"P01: 내일 몇 시에 만나?"``);
- a list of messages ``{"speaker", "text", "time"?}``, as the gateway's JSON takes them;
- ``{"file": "chats/trip.txt"}``: a KakaoTalk export, the path relative to the dataset file.

Messages and exports are parsed here with the gateway's own ingestion, so that a malformed line
fails the run before anything is sent; the targets (:mod:`evaluation.targets`) then turn each
form into what their server takes. Errors name the line and the field, never chat text.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from gateway.ingest import IngestError, ParsedChat, parse_chat, parse_messages_json
from gateway.ingest.decoding import decode

logger = logging.getLogger(__name__)


class DatasetError(ValueError):
    """The dataset cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class DialogueText:
    """A dialogue already in the summarizer's input form.

    Attributes:
        text: One ``speaker: text`` turn per line.
    """

    text: str

    def as_messages(self) -> list[dict[str, str]]:
        """The gateway's JSON messages for these turns (no times: one conversation).

        The gateway labels speakers in order of appearance, so a dialogue pseudonymized that
        way (``P01`` speaks first, then ``P02``, ...) reaches the summarizer unchanged.
        """
        messages = []
        for line in self.text.splitlines():
            speaker, _, text = line.partition(":")
            messages.append({"speaker": speaker.strip(), "text": text.strip()})
        return messages


@dataclass(frozen=True)
class Messages:
    """A dialogue as JSON messages.

    Attributes:
        items: The messages as written in the dataset.
        chat: The same parsed by the gateway's ingestion.
    """

    items: tuple[Mapping[str, Any], ...]
    chat: ParsedChat


@dataclass(frozen=True)
class ExportFile:
    """A dialogue as a KakaoTalk export file.

    Attributes:
        path: The file.
        text: Its decoded text (UTF-8, UTF-16 and CP949 files are all read).
        chat: The same parsed by the gateway's ingestion.
    """

    path: Path
    text: str
    chat: ParsedChat


Dialogue = DialogueText | Messages | ExportFile


@dataclass(frozen=True)
class Example:
    """One dataset line.

    Attributes:
        id: The line's ``id``, or its line number.
        dialogue: The dialogue in whichever form the line gave.
        reference: The reference summary.
    """

    id: str
    dialogue: Dialogue
    reference: str


def default_dataset() -> Path:
    """The Korean sample dataset shipped with the package (38 group-chat dialogues)."""
    return Path(str(resources.files("evaluation").joinpath("data/sample_dialogues.jsonl")))


def load_dataset(path: Path, *, limit: int | None = None) -> list[Example]:
    """Read and check a dataset.

    Args:
        path: The JSONL file.
        limit: Keep only the first ``limit`` examples (quick checks).

    Returns:
        The examples in file order.

    Raises:
        DatasetError: The file is missing, empty, or a line is malformed; ids repeat.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"cannot read dataset {path}: {exc}") from exc
    examples: list[Example] = []
    for number, line in enumerate(lines, start=1):
        if limit is not None and len(examples) >= limit:
            break
        if line.strip():
            examples.append(_example(line, path, number))
    if not examples:
        raise DatasetError(f"{path} holds no examples")
    ids = [example.id for example in examples]
    if len(set(ids)) != len(ids):
        raise DatasetError(f"{path}: example ids repeat")
    logger.info("loaded %d examples from %s", len(examples), path)
    return examples


def _example(line: str, path: Path, number: int) -> Example:
    where = f"{path} line {number}"
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{where}: not valid JSON ({exc.msg})") from exc
    if not isinstance(record, dict):
        raise DatasetError(f"{where}: expected a JSON object")
    reference = record.get("summary")
    if not isinstance(reference, str) or not reference.strip():
        raise DatasetError(f"{where}: 'summary' must be a non-empty string")
    return Example(
        id=str(record.get("id", number)),
        dialogue=_dialogue(record.get("dialogue"), path.parent, where),
        reference=reference.strip(),
    )


def _dialogue(value: object, base: Path, where: str) -> Dialogue:
    try:
        if isinstance(value, str):
            return _text(value, where)
        if isinstance(value, list):
            return Messages(items=tuple(value), chat=_non_empty(parse_messages_json(value), where))
        if isinstance(value, dict) and isinstance(value.get("file"), str):
            return _export(base / value["file"], where)
    except IngestError as exc:
        raise DatasetError(f"{where}: {exc.message_en}") from exc
    raise DatasetError(
        f'{where}: \'dialogue\' must be text, a list of messages or {{"file": "path"}}'
    )


def _text(value: str, where: str) -> DialogueText:
    lines = [line.strip() for line in value.strip().splitlines() if line.strip()]
    if not lines:
        raise DatasetError(f"{where}: 'dialogue' is empty")
    for index, line in enumerate(lines, start=1):
        speaker, colon, text = line.partition(":")
        if not colon or not speaker.strip() or not text.strip():
            raise DatasetError(f"{where}: dialogue turn {index} is not 'SPEAKER: text'")
    return DialogueText("\n".join(lines))


def _export(path: Path, where: str) -> ExportFile:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DatasetError(f"{where}: cannot read export file {path}: {exc.strerror}") from exc
    return ExportFile(path=path, text=decode(data), chat=_non_empty(parse_chat(data), where))


def _non_empty(chat: ParsedChat, where: str) -> ParsedChat:
    if not chat.messages:
        raise DatasetError(f"{where}: the chat has no message to summarize")
    return chat
