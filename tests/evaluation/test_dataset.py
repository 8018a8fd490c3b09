"""Datasets: the shipped sample and the three dialogue forms."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evaluation.dataset import (
    DatasetError,
    DialogueText,
    Example,
    ExportFile,
    Messages,
    default_dataset,
    load_dataset,
)
from tests.evaluation.helpers import EXPORT, MESSAGES, write_lines


def test_shipped_sample_is_a_korean_dataset() -> None:
    examples = load_dataset(default_dataset())
    assert 30 <= len(examples) <= 40
    assert len({example.id for example in examples}) == len(examples)
    for example in examples:
        assert isinstance(example.dialogue, DialogueText)
        turns = example.dialogue.text.splitlines()
        assert 4 <= len(turns) <= 12
        assert all(turn[:1] == "P" and turn[1:3].isdigit() and turn[3:5] == ": " for turn in turns)
        assert example.reference.endswith("다.")
        assert any("가" <= char <= "힣" for char in example.reference)


def test_three_forms(tmp_path: Path) -> None:
    shutil.copy(EXPORT, tmp_path / "trip.txt")
    dataset = write_lines(
        tmp_path / "data.jsonl",
        [
            {"id": "text", "dialogue": "P01: 내일 보자\nP02: 좋아", "summary": " 만나기로 했다. "},
            {"dialogue": MESSAGES, "summary": "강남역에서 만나기로 했다."},
            "",
            {"id": "export", "dialogue": {"file": "trip.txt"}, "summary": "부산에 가기로 했다."},
        ],
    )
    text, messages, export = load_dataset(dataset)
    assert text == Example("text", DialogueText("P01: 내일 보자\nP02: 좋아"), "만나기로 했다.")
    assert isinstance(messages.dialogue, Messages)
    assert messages.id == "2"  # the line number when there is no id
    assert [m.speaker for m in messages.dialogue.chat.messages] == ["민지", "지훈"]
    assert isinstance(export.dialogue, ExportFile)
    assert export.dialogue.chat.format.value == "pc_windows_ko"
    assert export.dialogue.text.startswith("부산 가자")


def test_text_dialogue_as_gateway_messages() -> None:
    dialogue = DialogueText("P01: 내일 몇 시에 만나?\nP02: 3시: 역 앞")
    assert dialogue.as_messages() == [
        {"speaker": "P01", "text": "내일 몇 시에 만나?"},
        {"speaker": "P02", "text": "3시: 역 앞"},
    ]


def test_limit(tmp_path: Path) -> None:
    assert len(load_dataset(default_dataset(), limit=3)) == 3


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "line 1: not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ({"dialogue": "P01: 안녕"}, "'summary' must be a non-empty string"),
        ({"dialogue": "P01: 안녕", "summary": "  "}, "'summary' must be a non-empty string"),
        ({"dialogue": "그냥 한 줄", "summary": "요약."}, "turn 1 is not 'SPEAKER: text'"),
        ({"dialogue": 3, "summary": "요약."}, "'dialogue' must be text"),
        ({"dialogue": [{"text": "누구?"}], "summary": "요약."}, "'speaker' must be"),
        ({"dialogue": [], "summary": "요약."}, "no message to summarize"),
        ({"dialogue": {"file": "missing.txt"}, "summary": "요약."}, "cannot read export file"),
    ],
)
def test_malformed_lines_name_the_line(tmp_path: Path, line: object, message: str) -> None:
    dataset = write_lines(tmp_path / "bad.jsonl", [line])
    with pytest.raises(DatasetError, match=message) as caught:
        load_dataset(dataset)
    assert "line 1" in str(caught.value)
    assert "안녕" not in str(caught.value)


def test_empty_and_duplicate_ids(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no examples"):
        load_dataset(write_lines(tmp_path / "empty.jsonl", ["", " "]))
    same = {"id": "a", "dialogue": "P01: 안녕", "summary": "인사했다."}
    with pytest.raises(DatasetError, match="ids repeat"):
        load_dataset(write_lines(tmp_path / "dup.jsonl", [same, same]))
    with pytest.raises(DatasetError, match="cannot read dataset"):
        load_dataset(tmp_path / "missing.jsonl")
