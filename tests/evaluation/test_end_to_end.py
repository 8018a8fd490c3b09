"""``calle eval`` against a real tritonserver serving the tiny preset."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from calle.triton import TritonServer
from contract.repository import summarizer_tokenizer
from evaluation.command import main
from tests.evaluation.helpers import EXPORT, MESSAGES, write_lines
from tests.gateway.helpers import start_gateway

pytestmark = pytest.mark.triton


def evaluate(triton: TritonServer, embedder: Path, output: Path, *extra: str) -> int:
    return main(
        ["--triton-url", triton.grpc_url, "--embedder", str(embedder), "--output", str(output),
         "--no-progress", "--concurrency", "3", *extra]
    )  # fmt: skip


def test_sample_dataset_through_triton(
    triton_server: TritonServer, tiny_embedder: Path, tmp_path: Path
) -> None:
    output = tmp_path / "eval"
    assert evaluate(triton_server, tiny_embedder, output, "--limit", "4") == 0
    report = json.loads((output / "report.json").read_text(encoding="utf-8"))
    assert report["dataset"]["examples"] == 4
    (config,) = report["configs"]
    assert config["name"] == "summarizer"
    assert config["target"] == "triton"
    assert config["url"] == triton_server.grpc_url
    assert (config["examples"], config["succeeded"], config["failed"]) == (4, 4, 0)
    assert -1 <= config["similarity"]["mean"] <= 1
    assert 0 <= config["similarity"]["share_above"] <= 1
    assert set(config["rouge"]) == {"rouge1", "rouge2", "rougeL"}
    assert config["length"]["chars"] > 0
    assert config["throughput"]["summaries_per_s"] > 0
    assert config["throughput"]["latency_p50_s"] <= config["throughput"]["latency_p95_s"]
    lines = (output / "examples.jsonl").read_text(encoding="utf-8").splitlines()
    examples = [json.loads(line) for line in lines]
    assert [e["id"] for e in examples] == ["busan-trip", "meeting-reschedule", "mom-birthday",
                                          "toeic-study"]  # fmt: skip
    assert all(isinstance(e["prediction"], str) and -1 <= e["similarity"] <= 1 for e in examples)
    assert (output / "similarity_hist.png").stat().st_size > 1000


def test_compare_decoding_settings(
    triton_server: TritonServer,
    tiny_embedder: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    output = tmp_path / "compare"
    code = evaluate(
        triton_server, tiny_embedder, output, "--limit", "3",
        "--compare", "num_beams=1", "--compare", "num_beams=3,max_length=16",
    )  # fmt: skip
    assert code == 0
    report = json.loads((output / "report.json").read_text(encoding="utf-8"))
    greedy, beam = report["configs"]
    assert greedy["decoding"] == {"num_beams": 1}
    assert beam["decoding"] == {"num_beams": 3, "max_length": 16}
    assert greedy["succeeded"] == beam["succeeded"] == 3
    assert len((output / "examples.jsonl").read_text(encoding="utf-8").splitlines()) == 6
    header = capsys.readouterr().out.splitlines()[0]
    assert "num_beams=1" in header
    assert "num_beams=3,max_length=16" in header


def test_messages_and_exports_are_cut_like_the_gateway(
    triton_server: TritonServer, tiny_embedder: Path, tmp_path: Path, tiny_repository: Path
) -> None:
    shutil.copy(EXPORT, tmp_path / "trip.txt")
    dataset = write_lines(
        tmp_path / "forms.jsonl",
        [
            {"id": "text", "dialogue": "P01: 내일 보자\nP02: 좋아", "summary": "만나기로 했다."},
            {"id": "messages", "dialogue": MESSAGES, "summary": "강남역에서 7시에 만난다."},
            {"id": "export", "dialogue": {"file": "trip.txt"}, "summary": "부산에 가기로 했다."},
        ],
    )
    output = tmp_path / "forms"
    tokenizer = summarizer_tokenizer(tiny_repository)
    code = evaluate(
        triton_server,
        tiny_embedder,
        output,
        "--dataset",
        str(dataset),
        "--tokenizer",
        str(tokenizer),
    )
    assert code == 0
    (config,) = json.loads((output / "report.json").read_text(encoding="utf-8"))["configs"]
    assert config["succeeded"] == 3


def test_invalid_decoding_setting_is_a_failed_request(
    triton_server: TritonServer, tiny_embedder: Path, tmp_path: Path
) -> None:
    output = tmp_path / "invalid"
    assert evaluate(triton_server, tiny_embedder, output, "--limit", "2", "--num-beams", "99") == 1
    (config,) = json.loads((output / "report.json").read_text(encoding="utf-8"))["configs"]
    assert config["failed"] == 2
    assert config["similarity"] is None
    examples = [json.loads(line) for line in (output / "examples.jsonl").read_text().splitlines()]
    assert all("num_beams" in e["error"] for e in examples)


def test_gateway_and_triton_summarize_the_same_text(
    triton_server: TritonServer, tiny_embedder: Path, tmp_path: Path, tiny_repository: Path
) -> None:
    gateway = start_gateway(
        "eval",
        tmp_path,
        triton_grpc_port=triton_server.grpc_port,
        repository=tiny_repository,
    )
    try:
        output = tmp_path / "gateway"
        code = evaluate(
            triton_server, tiny_embedder, output, "--limit", "3",
            "--compare", f"name=triton,triton_url={triton_server.grpc_url}",
            "--compare", f"name=gateway,gateway_url={gateway.url}",
        )  # fmt: skip
    finally:
        gateway.stop()
    assert code == 0
    triton, via_gateway = json.loads((output / "report.json").read_text(encoding="utf-8"))[
        "configs"
    ]
    assert via_gateway == via_gateway | {"target": "gateway", "url": gateway.url, "succeeded": 3}
    examples = [json.loads(line) for line in (output / "examples.jsonl").read_text().splitlines()]
    predictions = {(e["config"], e["id"]): e["prediction"] for e in examples}
    # Text-form dialogues go to the gateway as messages and come back to the same summarizer
    # input: the summaries are the same.
    for example in examples[:3]:
        assert predictions["gateway", example["id"]] == predictions["triton", example["id"]]
    assert triton["similarity"] == via_gateway["similarity"]
