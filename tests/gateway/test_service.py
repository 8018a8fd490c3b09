"""The service layer with a stand-in for Triton: admission, stage deadlines, event order."""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from datetime import timedelta
from pathlib import Path

import pytest

from gateway.admission import ConcurrencyLimit
from gateway.cpu_pool import CpuPool
from gateway.dialogue import SourceTokenizer
from gateway.errors import (
    GatewayBusyError,
    InvalidChatError,
    NothingToSummarizeError,
    StageTimeoutError,
)
from gateway.metrics import GatewayMetrics
from gateway.service import CalleService
from gateway.service_io import ChatInput, ImageOptions, ImageRequest, ImageResult, SummaryResult
from tests.gateway.helpers import SAMPLE_CHAT


class FakeModels:
    """'Summarizes' by echoing the line count, draws a fixed PNG."""

    def __init__(self, *, summary_delay: float = 0.0, image_delay: float = 0.0) -> None:
        self.summary_delay = summary_delay
        self.image_delay = image_delay
        self.dialogues: list[str] = []
        self.prompts: list[str] = []

    def check_ready(self) -> None:
        """Triton is always ready here."""

    async def summarize(self, dialogue: str, *, timeout_s: float) -> str:
        self.dialogues.append(dialogue)
        await asyncio.sleep(self.summary_delay)
        return f"{dialogue.count(chr(10)) + 1} lines"

    async def generate_image(self, request: ImageRequest, *, timeout_s: float) -> ImageResult:
        self.prompts.append(request.prompt)
        await asyncio.sleep(self.image_delay)
        return ImageResult(png=b"\x89PNG", seed=request.seed or 7)


# Every chat here is small: parsed in a thread, the pool never starts a worker.
INLINE_ONLY = CpuPool(1, inline_below_bytes=2**40)


@pytest.fixture(scope="module")
def tokenizer(tiny_repository: Path) -> SourceTokenizer:
    """The tiny export's real tokenizer."""
    return SourceTokenizer(tiny_repository / "summarizer" / "1" / "tokenizer.json")


@pytest.fixture
def service(tokenizer: SourceTokenizer):
    def make(models: FakeModels, *, limit: int = 4, timeout_s: float = 5.0) -> CalleService:
        metrics = GatewayMetrics()
        return CalleService(
            models,  # type: ignore[arg-type]
            tokenizer=tokenizer,
            limit=ConcurrencyLimit(limit, in_flight=metrics.in_flight),
            metrics=metrics,
            summary_timeout_s=timeout_s,
            image_timeout_s=timeout_s,
            burst_gap=timedelta(hours=2),
            cpu_pool=INLINE_ONLY,
        )

    return make


SAMPLE = ChatInput(SAMPLE_CHAT.read_bytes())


def test_summary_of_the_sample_sends_a_dialogue_within_the_budget(service, tokenizer):
    models = FakeModels()

    result = asyncio.run(service(models).summarize(SAMPLE))

    assert result.chat_format == "pc_windows_ko"
    assert result.summary == f"{result.message_count} lines"
    (dialogue,) = models.dialogues
    assert tokenizer.count_tokens([dialogue])[0] <= tokenizer.budget


def test_chat_to_image_yields_the_summary_then_draws_it(service):
    models = FakeModels()

    async def run() -> list[object]:
        events = service(models).chat_to_image(SAMPLE, ImageOptions(seed=3))
        async with aclosing(events):
            return [item async for item in events]

    summary, image = asyncio.run(run())

    assert isinstance(summary, SummaryResult)
    assert isinstance(image, ImageResult)
    assert image.seed == 3
    assert models.prompts == [summary.summary]


def test_a_request_beyond_the_limit_is_refused_at_once_and_slots_are_released(service):
    models = FakeModels(summary_delay=0.2)
    calle = service(models, limit=1)

    async def run() -> tuple[BaseException | SummaryResult, ...]:
        first = asyncio.ensure_future(calle.summarize(SAMPLE))
        await asyncio.sleep(0.05)
        refused = await asyncio.gather(calle.summarize(SAMPLE), return_exceptions=True)
        await first
        return (*refused, await calle.summarize(SAMPLE))

    refused, later = asyncio.run(run())

    assert isinstance(refused, GatewayBusyError)
    assert isinstance(later, SummaryResult)


def test_a_slow_stage_misses_its_deadline(service):
    with pytest.raises(StageTimeoutError) as caught:
        asyncio.run(service(FakeModels(summary_delay=1), timeout_s=0.05).summarize(SAMPLE))

    assert caught.value.stage == "summary"


@pytest.mark.parametrize(
    ("content", "error"),
    [(b"not a chat at all", InvalidChatError), ([], NothingToSummarizeError)],
)
def test_ingest_errors_become_gateway_errors(service, content, error):
    with pytest.raises(error):
        asyncio.run(service(FakeModels()).summarize(ChatInput(content)))
