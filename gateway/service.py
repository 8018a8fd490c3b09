"""The service layer: the gateway's three operations, called by HTTP routes and gRPC alike.

Each operation takes a concurrency slot (or fails with 429 at once), runs its stages under
their deadlines (the summary stage under ``CALLE_SUMMARY_TIMEOUT_S``, the image stage under
``CALLE_IMAGE_TIMEOUT_S``, 504 when missed) and records stage metrics. Chat text is never
logged: only counts, durations and ids are.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Sequence
from datetime import timedelta
from typing import TypeVar

from gateway.admission import ConcurrencyLimit
from gateway.cpu_pool import CpuPool
from gateway.errors import StageTimeoutError, from_ingest_error
from gateway.ingest import Dialogue, IngestError, ParsedChat, select_dialogue
from gateway.metrics import GatewayMetrics
from gateway.models import ChatInput, ImageOptions, ImageRequest, ImageResult, SummaryResult
from gateway.request_id import current_request_id
from gateway.triton_models import DIFFUSION, SUMMARIZER, TOKEN_COUNT, TritonModels

logger = logging.getLogger(__name__)

T = TypeVar("T")


class CalleService:
    """Summaries, images, and both in a row, on Triton.

    Args:
        models: The Triton models.
        limit: The gateway's concurrency limit.
        metrics: Stage and latency metrics.
        summary_timeout_s: Deadline of the summary stage (reading, counting, summarizing).
        image_timeout_s: Deadline of the image stage.
        burst_gap: The silence that ends a conversation (``CALLE_BURST_GAP_MINUTES``).
        cpu_pool: Where parsing big chats runs, killed at the summary deadline.
    """

    def __init__(
        self,
        models: TritonModels,
        *,
        limit: ConcurrencyLimit,
        metrics: GatewayMetrics,
        summary_timeout_s: float,
        image_timeout_s: float,
        burst_gap: timedelta,
        cpu_pool: CpuPool,
    ) -> None:
        self._models = models
        self._limit = limit
        self._metrics = metrics
        self._summary_timeout_s = summary_timeout_s
        self._image_timeout_s = image_timeout_s
        self._burst_gap = burst_gap
        self._cpu_pool = cpu_pool

    async def summarize(self, chat: ChatInput) -> SummaryResult:
        """Summarize the latest conversation of ``chat``."""
        self._models.check_ready()
        async with self._limit.slot():
            return await self._summary(chat, time.perf_counter())

    async def generate_image(self, request: ImageRequest) -> ImageResult:
        """Draw ``request.prompt``."""
        self._models.check_ready()
        async with self._limit.slot():
            return await self._image(request, time.perf_counter())

    async def chat_to_image(
        self, chat: ChatInput, options: ImageOptions
    ) -> AsyncIterator[SummaryResult | ImageResult]:
        """Summarize ``chat``, yield the summary at once, then draw it and yield the image.

        One slot is held for both; callers close the iterator (``contextlib.aclosing``) so that
        a client that goes away frees it at once.
        """
        self._models.check_ready()
        async with self._limit.slot():
            admitted = time.perf_counter()
            summary = await self._summary(chat, admitted)
            yield summary
            request = ImageRequest.model_construct(**options.model_dump(), prompt=summary.summary)
            yield await self._image(request, admitted)

    async def _summary(self, chat: ChatInput, admitted: float) -> SummaryResult:
        result = await self._within("summary", self._summary_timeout_s, self._summarize(chat))
        elapsed = time.perf_counter() - admitted
        self._metrics.time_to_summary.observe(elapsed)
        logger.info(
            "summary of %d messages from %d speakers in %.3f s",
            result.message_count,
            result.speaker_count,
            elapsed,
        )
        return result

    async def _summarize(self, chat: ChatInput) -> SummaryResult:
        with self._metrics.stage("parse", TOKEN_COUNT):
            parsed, dialogue = await self._dialogue(chat)
        with self._metrics.stage("summarize", SUMMARIZER):
            summary = await self._models.summarize(dialogue.text, timeout_s=self._summary_timeout_s)
        return SummaryResult(
            summary=summary,
            message_count=dialogue.message_count,
            speaker_count=dialogue.speaker_count,
            start=dialogue.start,
            end=dialogue.end,
            chat_format=parsed.format.value,
        )

    async def _dialogue(self, chat: ChatInput) -> tuple[ParsedChat, Dialogue]:
        """Parse and select in a worker thread (big files are CPU work).

        Token counts and the budget still come from Triton over the loop's client: the thread
        hands those calls back to the event loop and waits for them, one call per chunk of
        turns (see :func:`gateway.ingest.select_dialogue`).
        """
        loop = asyncio.get_running_loop()
        request_id = current_request_id.get()

        def on_loop(work: Awaitable[T]) -> T:
            async def with_request_id() -> T:
                current_request_id.set(request_id)
                return await work

            return asyncio.run_coroutine_threadsafe(with_request_id(), loop).result()

        def count_tokens(texts: Sequence[str]) -> list[int]:
            return on_loop(self._models.count_tokens(texts, timeout_s=self._summary_timeout_s))

        def select(parsed: ParsedChat) -> Dialogue:
            budget = on_loop(self._models.source_budget(timeout_s=self._summary_timeout_s))
            return select_dialogue(
                parsed, count_tokens=count_tokens, max_tokens=budget, gap=self._burst_gap
            )

        size = chat.size()
        try:
            # A big chat holds one of the pool's places for parsing and selecting (or gets 429).
            # Parsing is pure: it runs in the pool, where the deadline stops it. Selecting still
            # asks Triton for token counts, so it runs in a thread until it becomes pure too.
            with self._cpu_pool.admit(size):
                parsed = await self._cpu_pool.run(
                    ChatInput.parse,
                    chat,
                    size=size,
                    stage="summary",
                    timeout_s=self._summary_timeout_s,
                )
                return parsed, await asyncio.to_thread(select, parsed)
        except IngestError as exc:
            raise from_ingest_error(exc) from exc

    async def _image(self, request: ImageRequest, admitted: float) -> ImageResult:
        with self._metrics.stage("generate", DIFFUSION):
            result = await self._within(
                "image",
                self._image_timeout_s,
                self._models.generate_image(request, timeout_s=self._image_timeout_s),
            )
        elapsed = time.perf_counter() - admitted
        self._metrics.time_to_image.observe(elapsed)
        logger.info("image of %d bytes (seed %d) in %.3f s", len(result.png), result.seed, elapsed)
        return result

    @staticmethod
    async def _within(stage: str, timeout_s: float, work: Awaitable[T]) -> T:
        try:
            return await asyncio.wait_for(work, timeout_s)
        except asyncio.TimeoutError as exc:
            raise StageTimeoutError(stage, timeout_s) from exc
