"""The service layer on a fake backend: admission, stage deadlines, event order, its lifetime."""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from datetime import timedelta
from pathlib import Path

import pytest

from contract.repository import summarizer_tokenizer
from gateway.admission import ConcurrencyLimit
from gateway.cpu_pool import CpuPool
from gateway.dialogue import SourceTokenizer
from gateway.errors import (
    GatewayBusyError,
    InvalidChatError,
    NothingToSummarizeError,
    StageTimeoutError,
    TritonUnavailableError,
)
from gateway.metrics import GatewayMetrics
from gateway.service import CalleService
from gateway.service_io import ChatInput, ImageOptions, ImageResult, SummaryResult
from tests.gateway.fakes import FAKE_SIZES, FakeBackend
from tests.gateway.helpers import SAMPLE_CHAT

# Every chat here is small: parsed in a thread, the pool never starts a worker.
INLINE_ONLY = CpuPool(1, inline_below_bytes=2**40)


@pytest.fixture(scope="module")
def tokenizer(tiny_repository: Path) -> SourceTokenizer:
    """The tiny export's real tokenizer."""
    return SourceTokenizer(summarizer_tokenizer(tiny_repository))


@pytest.fixture
def service(tokenizer: SourceTokenizer):
    def make(
        backend: FakeBackend,
        *,
        limit: int = 4,
        timeout_s: float = 5.0,
        cpu_pool: CpuPool = INLINE_ONLY,
    ) -> CalleService:
        metrics = GatewayMetrics()
        return CalleService(
            backend,
            tokenizer=tokenizer,
            image_sizes=FAKE_SIZES,
            limit=ConcurrencyLimit(limit, in_flight=metrics.in_flight),
            metrics=metrics,
            summary_timeout_s=timeout_s,
            image_timeout_s=timeout_s,
            burst_gap=timedelta(hours=2),
            cpu_pool=cpu_pool,
        )

    return make


SAMPLE = ChatInput(SAMPLE_CHAT.read_bytes())


def test_summary_of_the_sample_sends_a_dialogue_within_the_budget(service, tokenizer):
    backend = FakeBackend()

    result = asyncio.run(service(backend).summarize(SAMPLE))

    assert result.chat_format == "pc_windows_ko"
    assert result.summary == f"{result.message_count} lines"
    (dialogue,) = backend.dialogues
    assert tokenizer.count_tokens([dialogue])[0] <= tokenizer.budget


def test_chat_to_image_yields_the_summary_then_draws_it(service):
    backend = FakeBackend()

    async def run() -> list[object]:
        events = service(backend).chat_to_image(SAMPLE, ImageOptions(seed=3))
        async with aclosing(events):
            return [item async for item in events]

    summary, image = asyncio.run(run())

    assert isinstance(summary, SummaryResult)
    assert isinstance(image, ImageResult)
    assert image.seed == 3
    assert backend.prompts == [summary.summary]


def test_a_request_beyond_the_limit_is_refused_at_once_and_slots_are_released(service):
    backend = FakeBackend(summary_delay=0.2)
    calle = service(backend, limit=1)

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
        asyncio.run(service(FakeBackend(summary_delay=1), timeout_s=0.05).summarize(SAMPLE))

    assert caught.value.stage == "summary"


@pytest.mark.parametrize(
    ("content", "error"),
    [(b"not a chat at all", InvalidChatError), ([], NothingToSummarizeError)],
)
def test_ingest_errors_become_gateway_errors(service, content, error):
    with pytest.raises(error):
        asyncio.run(service(FakeBackend()).summarize(ChatInput(content)))


def test_one_backend_job_spans_the_summary_and_the_picture(service):
    backend = FakeBackend()

    async def run() -> None:
        events = service(backend).chat_to_image(SAMPLE, ImageOptions())
        async with aclosing(events):
            async for _ in events:
                pass

    asyncio.run(run())

    assert backend.events == ["job", "summarize", "draw", "job done"]


def test_a_refused_request_never_reaches_the_backend(service):
    backend = FakeBackend()
    backend.ready = False

    with pytest.raises(TritonUnavailableError):
        asyncio.run(service(backend).summarize(SAMPLE))

    assert backend.events == []


def test_the_service_starts_and_closes_its_backend_and_pool(service):
    backend = FakeBackend()
    pool = CpuPool(1, inline_below_bytes=0)  # every chat would go to a worker process
    calle = service(backend, cpu_pool=pool)

    async def run() -> None:
        await calle.start()
        await calle.close()
        await pool.run(len, "chat", size=4, stage="summary", timeout_s=5.0)

    with pytest.raises(RuntimeError, match="not active"):  # Pebble's closed pool
        asyncio.run(run())

    assert backend.events == ["start", "close"]
