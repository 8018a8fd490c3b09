"""``/readyz`` fails with a clear reason when the gateway's tokenizer is not the summarizer's."""

from __future__ import annotations

from pathlib import Path

import httpx
from tokenizers import Tokenizer

from calle.triton import TritonServer
from contract.repository import summarizer_tokenizer
from tests.gateway.conftest import GatewayFactory


def test_readiness_fails_when_the_tokenizers_differ(
    gateway_factory: GatewayFactory,
    triton_server: TritonServer,
    tiny_repository: Path,
    tmp_path: Path,
) -> None:
    other = Tokenizer.from_file(str(summarizer_tokenizer(tiny_repository)))
    other.enable_truncation(max_length=128, direction="left")  # another budget
    other.save(str(tmp_path / "tokenizer.json"))
    gateway = gateway_factory(
        "other-tokenizer",
        triton_server.grpc_port,
        ready_path="/healthz",
        summarizer_tokenizer=tmp_path / "tokenizer.json",
    )

    ready = httpx.get(gateway.url + "/readyz")

    assert ready.status_code == 503
    error = ready.json()["error"]
    assert "CALLE_SUMMARIZER_TOKENIZER" in error["message_en"]
    (detail,) = error["details"]
    assert (detail["model"], detail["reason"]) == ("summarizer", "tokenizer_mismatch")
    assert detail["gateway_tokenizer_sha256"] != detail["summarizer_tokenizer_sha256"]


def test_readiness_passes_with_the_exported_tokenizer(gateway) -> None:
    assert httpx.get(gateway.url + "/readyz").status_code == 200
