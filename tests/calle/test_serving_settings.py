"""`calle serve`'s gateway reads the served export's files unless the environment names others."""

from __future__ import annotations

import argparse
from pathlib import Path
from types import SimpleNamespace

from calle.serving import _local_gateway_settings
from contract.repository import diffusion_pipeline, summarizer_tokenizer
from gateway.settings import TritonEndpoints

SERVED = Path("/exports/current")
ARGS = argparse.Namespace(host=None, http_port=None, grpc_port=None, verbose=True)


def _triton() -> SimpleNamespace:
    return SimpleNamespace(local=TritonEndpoints(grpc_port=9001), served=SERVED)


def test_the_gateway_reads_the_served_export_s_tokenizer_and_sizes(monkeypatch) -> None:
    monkeypatch.delenv("CALLE_SUMMARIZER_TOKENIZER", raising=False)
    monkeypatch.delenv("CALLE_DIFFUSION_PIPELINE", raising=False)

    settings = _local_gateway_settings(ARGS, _triton())

    assert settings.summarizer_tokenizer == summarizer_tokenizer(SERVED)
    assert settings.diffusion_pipeline == diffusion_pipeline(SERVED)
    assert settings.triton.grpc_port == 9001


def test_a_file_named_in_the_environment_wins(monkeypatch) -> None:
    monkeypatch.delenv("CALLE_SUMMARIZER_TOKENIZER", raising=False)
    monkeypatch.setenv("CALLE_DIFFUSION_PIPELINE", "/elsewhere/pipeline.json")

    settings = _local_gateway_settings(ARGS, _triton())

    assert settings.diffusion_pipeline == Path("/elsewhere/pipeline.json")
    assert settings.summarizer_tokenizer == summarizer_tokenizer(SERVED)
