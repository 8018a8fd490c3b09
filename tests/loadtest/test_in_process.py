"""The in-process backend: our exported engines called directly, fed what the request asks."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from contract.repository import summarizer_tokenizer
from gateway.dialogue import SourceTokenizer
from gateway.errors import ModelRejectedInputError
from gateway.service_io import ImageRequest
from loadtest.benchmark.in_process import InProcessBackend
from loadtest.checks import PNG_MAGIC

DEADLINE_S = 120.0


@pytest.fixture(scope="module")
def backend(tiny_repository: Path) -> InProcessBackend:
    return InProcessBackend(tiny_repository)


def test_ready_with_the_tokenizer_the_gateway_trims_with(backend, tiny_repository):
    backend.check_ready()
    assert asyncio.run(backend.readiness(timeout_s=1)) == {"summarizer": True, "diffusion": True}
    digest = asyncio.run(backend.summarizer_tokenizer_digest(timeout_s=1))
    assert digest == SourceTokenizer(summarizer_tokenizer(tiny_repository)).digest


def test_the_summary_is_the_exported_summarizers(backend):
    dialogue = "민수: 내일 바다 가자\n지영: 좋아"
    summary = asyncio.run(backend.summarize(dialogue, timeout_s=DEADLINE_S))
    assert summary == backend.summarizer.summarize([dialogue])[0].text


def test_the_request_decides_steps_guidance_size_and_seed(backend, monkeypatch):
    fed: list[tuple[int, ...]] = []
    denoise: Callable[..., np.ndarray] = backend.runner.denoise

    def counted(sample: np.ndarray, timesteps: np.ndarray, embeddings: np.ndarray) -> np.ndarray:
        fed.append(sample.shape)
        return denoise(sample, timesteps, embeddings)

    monkeypatch.setattr(backend.runner, "denoise", counted)
    request = ImageRequest(prompt="바다", seed=5, steps=3, guidance_scale=1.0, height=64, width=32)
    first = asyncio.run(backend.draw(request, timeout_s=DEADLINE_S))
    assert first.seed == 5
    assert first.png.startswith(PNG_MAGIC)
    assert Image.open(io.BytesIO(first.png)).size == (32, 64)
    assert [shape[0] for shape in fed] == [1, 1, 1]  # three steps, no guidance: one row each

    fed.clear()
    guided = request.model_copy(update={"guidance_scale": 5.0, "steps": 2})
    plain = asyncio.run(backend.draw(guided, timeout_s=DEADLINE_S))
    assert [shape[0] for shape in fed] == [2, 2]  # guided: negative and prompt rows

    again = asyncio.run(backend.draw(request, timeout_s=DEADLINE_S))
    negative = guided.model_copy(update={"negative_prompt": "흐림"})
    other = asyncio.run(backend.draw(negative, timeout_s=DEADLINE_S))
    assert again.png == first.png
    assert other.png != plain.png  # the negative prompt reached the text encoder


def test_a_value_the_pipeline_refuses_is_the_clients_fault(backend):
    with pytest.raises(ModelRejectedInputError, match="height must be a multiple"):
        asyncio.run(backend.draw(ImageRequest(prompt="바다", height=30), timeout_s=DEADLINE_S))
