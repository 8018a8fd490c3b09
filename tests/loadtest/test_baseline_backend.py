"""The baseline backend: PyTorch models on one worker thread, one request's turn at a time."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from PIL import Image

from contract.repository import summarizer_tokenizer
from gateway.dialogue import SourceTokenizer
from gateway.errors import ModelRejectedInputError
from gateway.service_io import ImageRequest
from loadtest.baseline.backend import BaselineBackend
from loadtest.baseline.models import BaselineModels
from loadtest.checks import PNG_MAGIC

DEADLINE_S = 120.0


@pytest.fixture(scope="module")
def models(
    summarizer_checkpoint: Path, diffusion_checkpoint: Path, tiny_repository: Path
) -> BaselineModels:
    return BaselineModels(summarizer_checkpoint, diffusion_checkpoint, tiny_repository)


def run_on_backend(models: BaselineModels, repository: Path, work) -> object:
    """``await work(backend)`` on a fresh backend (its lock belongs to one event loop)."""

    async def main() -> object:
        backend = BaselineBackend(models, repository)
        await backend.start()
        try:
            return await work(backend)
        finally:
            await backend.close()

    return asyncio.run(main())


def test_ready_with_the_tokenizer_the_gateway_trims_with(models, tiny_repository):
    async def probe(backend: BaselineBackend) -> tuple[dict[str, bool], str | None]:
        backend.check_ready()
        return (
            await backend.readiness(timeout_s=1),
            await backend.summarizer_tokenizer_digest(timeout_s=1),
        )

    ready, digest = run_on_backend(models, tiny_repository, probe)
    assert ready == {"summarizer": True, "diffusion": True}
    assert digest == SourceTokenizer(summarizer_tokenizer(tiny_repository)).digest


def test_summary_and_picture_with_the_requested_seed_and_size(models, tiny_repository):
    async def work(backend: BaselineBackend):
        summary = await backend.summarize("민수: 내일 바다 가자\n지영: 좋아", timeout_s=DEADLINE_S)
        request = ImageRequest(prompt="바다", seed=7, height=64, width=32)
        first = await backend.draw(request, timeout_s=DEADLINE_S)
        again = await backend.draw(request, timeout_s=DEADLINE_S)
        drawn = await backend.draw(ImageRequest(prompt="바다"), timeout_s=DEADLINE_S)
        return summary, first, again, drawn

    summary, first, again, drawn = run_on_backend(models, tiny_repository, work)
    assert summary.strip()
    assert first.seed == 7
    assert first.png.startswith(PNG_MAGIC)
    assert first.png == again.png  # the seed decides the picture
    assert Image.open(io.BytesIO(first.png)).size == (32, 64)
    assert 0 <= drawn.seed < 2**32


def test_a_size_diffusers_refuses_is_the_clients_fault(models, tiny_repository):
    async def work(backend: BaselineBackend):
        await backend.draw(ImageRequest(prompt="바다", height=30), timeout_s=DEADLINE_S)

    with pytest.raises(ModelRejectedInputError, match="divisible by 8"):
        run_on_backend(models, tiny_repository, work)


def test_a_second_job_waits_for_the_first_ones_summary_and_picture(models, tiny_repository):
    events: list[tuple[str, int]] = []

    async def request(backend: BaselineBackend, index: int) -> None:
        async with backend.job():
            summary = await backend.summarize(f"민수: 안녕 {index}", timeout_s=DEADLINE_S)
            events.append(("summary", index))
            await backend.draw(ImageRequest(prompt=summary or "바다"), timeout_s=DEADLINE_S)
            events.append(("image", index))

    async def work(backend: BaselineBackend) -> None:
        await asyncio.gather(request(backend, 0), request(backend, 1))

    run_on_backend(models, tiny_repository, work)
    assert events == [("summary", 0), ("image", 0), ("summary", 1), ("image", 1)]
