"""The command end to end on stand-in targets: flags, scoring, report files, table, exit codes."""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from portpicker import pick_unused_port

from evaluation import command, targets
from evaluation.configs import SummarizerConfig
from evaluation.dataset import Dialogue, DialogueText, default_dataset, load_dataset
from evaluation.targets import Target, TargetError

LIMIT = 5
REFERENCES = {
    example.dialogue.text: example.reference
    for example in load_dataset(default_dataset(), limit=LIMIT)
    if isinstance(example.dialogue, DialogueText)
}


class StandInTarget(Target):
    """``perfect`` answers with the reference, ``vague`` with one fixed sentence and fails once."""

    async def open(self) -> None:
        pass

    async def close(self) -> None:
        pass

    def prepare(self, dialogues: Sequence[Dialogue]) -> list[str]:
        return [dialogue.text for dialogue in dialogues]  # type: ignore[union-attr]

    async def summarize(self, request: str) -> str:
        if self.config.name == "perfect":
            return REFERENCES[request]
        if request.startswith("P01: 이번 주말에"):
            raise TargetError("StatusCode.UNAVAILABLE: stand-in failure")
        return "친구들은 이야기를 나눴다."


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> None:
    def open_target(config: SummarizerConfig, **_: object) -> Target:
        return StandInTarget(config)

    monkeypatch.setattr(targets, "open_target", open_target)


def test_compare_writes_report_examples_and_histogram(
    stand_in: None, tiny_embedder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "report"
    code = command.main(
        [
            "--triton-url", "127.0.0.1:1",
            "--embedder", str(tiny_embedder),
            "--limit", str(LIMIT),
            "--compare", "name=perfect,num_beams=1",
            "--compare", "name=vague,num_beams=4",
            "--output", str(output),
            "--no-progress",
        ]
    )  # fmt: skip
    assert code == 1  # one request failed; the report is written anyway
    report = json.loads((output / "report.json").read_text(encoding="utf-8"))
    assert report["dataset"]["examples"] == LIMIT
    assert report["embedder"] == str(tiny_embedder)
    assert report["threshold"] == 0.6
    assert report["rouge"]["tokenization"] == "kiwi-morphemes"
    perfect, vague = report["configs"]
    assert perfect["name"] == "perfect"
    assert perfect["decoding"] == {"num_beams": 1}
    assert (perfect["succeeded"], perfect["failed"]) == (LIMIT, 0)
    assert perfect["similarity"]["mean"] == pytest.approx(1.0, abs=1e-6)
    assert perfect["similarity"]["share_above"] == 1.0
    assert perfect["rouge"] == {"rouge1": 1.0, "rouge2": 1.0, "rougeL": 1.0}
    assert perfect["length"]["chars"] == pytest.approx(
        report["dataset"]["reference_length"]["chars"]
    )
    assert set(perfect["throughput"]) == {
        "summaries_per_s", "latency_p50_s", "latency_p95_s", "wall_s",
    }  # fmt: skip
    assert (vague["succeeded"], vague["failed"]) == (LIMIT - 1, 1)
    assert -1 <= vague["similarity"]["mean"] < 1
    assert vague["length"]["chars"] == len("친구들은 이야기를 나눴다.")

    lines = (output / "examples.jsonl").read_text(encoding="utf-8").splitlines()
    examples = [json.loads(line) for line in lines]
    assert len(examples) == 2 * LIMIT
    failed = [e for e in examples if e["error"]]
    assert [(e["config"], e["id"]) for e in failed] == [("vague", "busan-trip")]
    assert failed[0]["prediction"] is None
    assert failed[0]["similarity"] is None
    ok = [e for e in examples if not e["error"]]
    assert all(-1 <= e["similarity"] <= 1 and e["latency_s"] >= 0 for e in ok)
    assert all(set(e["rouge"]) == {"rouge1", "rouge2", "rougeL"} for e in ok)

    assert (output / "similarity_hist.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    table = capsys.readouterr().out
    header = table.splitlines()[0]
    assert "perfect" in header
    assert "vague" in header
    assert "5/0" in table
    assert "4/1" in table
    assert "kiwipiepy" in table


def test_register_adds_eval_to_a_parent_parser() -> None:
    parser = argparse.ArgumentParser(prog="calle")
    subcommands = parser.add_subparsers(dest="command", required=True)
    eval_parser = command.register(subcommands)
    args = parser.parse_args(["eval", "--compare", "num_beams=1", "--limit", "3"])
    assert args.command == "eval"
    assert args.compare == ["num_beams=1"]
    assert args.limit == 3
    assert "compare" in eval_parser.format_help()


def test_module_runs_on_its_own() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "evaluation", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "--compare" in result.stdout
    assert "--embedder" in result.stdout


@pytest.mark.parametrize("embedder", ["nowhere", "none"])
def test_without_an_embedder_similarity_is_skipped_and_the_rest_reported(
    stand_in: None,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    embedder: str,
) -> None:
    output = tmp_path / "report"
    name = str(tmp_path / embedder) if embedder != "none" else embedder
    with caplog.at_level(logging.WARNING):
        command.main(
            ["--triton-url", "127.0.0.1:1", "--embedder", name, "--limit", str(LIMIT),
             "--compare", "name=perfect", "--output", str(output), "--no-progress"]
        )  # fmt: skip
    why = "no sentence-embedding model at" if embedder != "none" else "no embedder asked for"
    assert f"similarity metric skipped: {why}" in caplog.text
    report = json.loads((output / "report.json").read_text(encoding="utf-8"))
    assert report["embedder"] is None
    assert why in report["similarity_skipped"]
    (perfect,) = report["configs"]
    assert perfect["similarity"] is None
    assert perfect["rouge"]["rouge1"] == pytest.approx(1.0)
    assert perfect["length"]["chars"] > 0
    table = capsys.readouterr().out
    assert f"similarity: skipped ({why}" in table
    assert "ROUGE-1 F1" in table


def test_unreachable_triton_fails_clearly(
    tiny_embedder: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"127.0.0.1:{pick_unused_port()}"
    with caplog.at_level(logging.ERROR):
        code = command.main(
            ["--triton-url", url, "--embedder", str(tiny_embedder), "--limit", "1",
             "--timeout-s", "5", "--output", str(tmp_path), "--no-progress"]
        )  # fmt: skip
    assert code == 1
    assert f"Triton at {url} is unreachable" in caplog.text
    assert not (tmp_path / "report.json").exists()


def test_bad_compare_spec_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        assert command.main(["--compare", "beams=2"]) == 1
    assert "unknown key 'beams'" in caplog.text
