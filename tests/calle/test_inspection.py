"""``calle inspect``: files and folders, text output and ``--json``, chat text only on request."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from tokenizers.pre_tokenizers import Whitespace

from calle.cli import main
from gateway.ingest import parse_chat

FIXTURES = Path(__file__).parents[1] / "gateway" / "ingest" / "fixtures"


@pytest.fixture
def exports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CALLE_SUMMARIZER_TOKENIZER", str(tmp_path / "no_export" / "tokenizer.json"))
    folder = tmp_path / "exports"
    folder.mkdir()
    for name in ("android_ko.txt", "macos.csv", "pc_windows_ko.txt"):
        shutil.copy(FIXTURES / name, folder / name)
    (folder / "notes.md").write_text("not an export", "utf-8")  # skipped in folders: suffix
    return folder


def inspect(capsys, *argv: str) -> tuple[int, str]:
    status = main(["inspect", *argv])
    return status, capsys.readouterr().out


def test_a_folder_gives_one_report_per_export_and_no_chat_text(capsys, exports):
    status, out = inspect(capsys, str(exports))

    assert status == 0
    assert out.startswith("budget: not applied (no tokenizer found: pass --tokenizer)\n")
    assert out.count("\n== ") == 3
    assert "format: android_ko (utf-8)" in out
    assert "system lines dropped: membership 2" in out
    for name in ("android_ko.txt", "macos.csv", "pc_windows_ko.txt"):
        chat = parse_chat((exports / name).read_bytes())
        secrets = {chat.room, *(m.speaker for m in chat.messages), *(m.text for m in chat.messages)}
        assert [secret for secret in secrets if secret and secret in out] == []


def test_json_is_one_document_keyed_by_file(capsys, exports):
    status, out = inspect(capsys, str(exports / "macos.csv"), "--json", "--min-messages", "3")

    document = json.loads(out)
    (report,) = document["files"].values()
    assert status == 0
    assert report["format"] == "macos_csv"
    assert report["selection"]["why"]["min_messages"] == 3
    assert "room" not in report
    assert "dialogue" not in report["selection"]


def test_show_text_adds_room_and_pseudonymized_dialogue(capsys, exports):
    _, out = inspect(capsys, str(exports / "android_ko.txt"), "--show-text")

    assert "room: 부산 여행" in out
    assert "P01: 다들 점심 먹었어?" in out
    assert "민지 :" not in out


def test_the_budget_uses_the_tokenizer_given(capsys, exports, tmp_path):
    vocabulary = {"[UNK]": 0, "P01": 1, ":": 2}
    tokenizer = Tokenizer(WordLevel(vocabulary, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = Whitespace()
    path = tmp_path / "tokenizer.json"
    tokenizer.save(str(path))

    _, out = inspect(
        capsys,
        str(exports / "android_ko.txt"),
        "--json",
        "--tokenizer",
        str(path),
        "--max-tokens",
        "12",
    )

    document = json.loads(out)
    (report,) = document["files"].values()
    assert document["budget"] == f"12 tokens ({path})"
    assert report["selection"]["why"]["budget_dropped"] > 0
    assert report["selection"]["why"]["reason"].endswith(
        f"left out the oldest {report['selection']['why']['budget_dropped']}, "
        f"keeping {report['selection']['messages']} from {report['selection']['speakers']} "
        "speakers."
    )


def test_a_missing_tokenizer_is_an_error(capsys, exports):
    assert main(["inspect", str(exports), "--tokenizer", str(exports / "none.json")]) == 2
    assert "no such tokenizer" in capsys.readouterr().err


def test_missing_paths_and_rejected_files_fail(capsys, exports):
    (exports / "broken.txt").write_text("hello", "utf-8")

    status, out = inspect(capsys, str(exports / "broken.txt"), str(exports / "nowhere.txt"))

    assert status == 1
    assert "rejected: This is not a KakaoTalk chat export." in out


def test_the_selection_minimum_comes_from_the_gateway_settings(capsys, exports, monkeypatch):
    monkeypatch.setenv("CALLE_MIN_DIALOGUE_MESSAGES", "4")
    monkeypatch.setenv("CALLE_MIN_DIALOGUE_SPEAKERS", "3")

    _, out = inspect(capsys, str(exports / "android_ko.txt"), "--json")

    (report,) = json.loads(out)["files"].values()
    assert (
        report["selection"]["why"]["min_messages"],
        report["selection"]["why"]["min_speakers"],
    ) == (4, 3)
