"""The service layer: the gateway's three operations, called by HTTP routes and gRPC alike.

It reads and trims chats (with the summarizer's exported tokenizer, here, before any model
sees them) and leaves the two models to a :class:`gateway.backend.Backend`. Each operation
takes a concurrency slot (or fails with 429 at once), then the backend's
:meth:`~gateway.backend.Backend.job` for its whole work, and runs its stages under
their deadlines (the summary stage under ``CALLE_SUMMARY_TIMEOUT_S``, the image stage under
``CALLE_IMAGE_TIMEOUT_S``, 504 when missed) and records stage metrics. Chat text is never
logged: only counts, durations and ids are.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable
from datetime import timedelta
from typing import TypeVar

from contract.repository import DIFFUSION, SUMMARIZER
from gateway.admission import ConcurrencyLimit
from gateway.backend import Backend
from gateway.cpu_pool import CpuPool
from gateway.dialogue import SourceTokenizer, latest_dialogue
from gateway.errors import StageTimeoutError, from_ingest_error
from gateway.image_sizes import ImageSizes
from gateway.ingest import Dialogue, IngestError, ParsedChat
from gateway.ingest.selection import DEFAULT_MIN_MESSAGES, DEFAULT_MIN_SPEAKERS
from gateway.metrics import GatewayMetrics
from gateway.service_io import ChatInput, ImageOptions, ImageRequest, ImageResult, SummaryResult
from gateway.settings import GatewaySettings

logger = logging.getLogger(__name__)

T = TypeVar("T")


class CalleService:
    """Summaries, images, and both in a row, on one backend.

    The service owns its backend and CPU pool: :meth:`start` starts the backend, :meth:`close`
    closes both.

    Args:
        backend: What runs the models (Triton when served).
        tokenizer: The summarizer's tokenizer (chats are trimmed with it here).
        image_sizes: The picture sizes the served diffusion model takes (the front ends
            validate requests with them).
        limit: The gateway's concurrency limit.
        metrics: Stage and latency metrics.
        summary_timeout_s: Deadline of the summary stage (reading, trimming, summarizing).
        image_timeout_s: Deadline of the image stage.
        burst_gap: The silence that ends a conversation (``CALLE_BURST_GAP_MINUTES``).
        min_messages: Extend a shorter burst past the gap (``CALLE_MIN_DIALOGUE_MESSAGES``).
        min_speakers: Extend a burst with fewer speakers (``CALLE_MIN_DIALOGUE_SPEAKERS``).
        cpu_pool: Where parsing big chats runs, killed at the summary deadline.
    """

    def __init__(
        self,
        backend: Backend,
        *,
        tokenizer: SourceTokenizer,
        image_sizes: ImageSizes,
        limit: ConcurrencyLimit,
        metrics: GatewayMetrics,
        summary_timeout_s: float,
        image_timeout_s: float,
        burst_gap: timedelta,
        min_messages: int = DEFAULT_MIN_MESSAGES,
        min_speakers: int = DEFAULT_MIN_SPEAKERS,
        cpu_pool: CpuPool,
    ) -> None:
        self._backend = backend
        self._tokenizer = tokenizer
        self._image_sizes = image_sizes
        self._limit = limit
        self._metrics = metrics
        self._summary_timeout_s = summary_timeout_s
        self._image_timeout_s = image_timeout_s
        self._burst_gap = burst_gap
        self._min_messages = min_messages
        self._min_speakers = min_speakers
        self._cpu_pool = cpu_pool

    @classmethod
    def from_settings(
        cls, backend: Backend, settings: GatewaySettings, *, metrics: GatewayMetrics
    ) -> CalleService:
        """The service ``settings`` describe, loading the tokenizer and image sizes they name."""
        return cls(
            backend,
            tokenizer=SourceTokenizer(settings.summarizer_tokenizer),
            image_sizes=ImageSizes.load(settings.diffusion_pipeline),
            limit=ConcurrencyLimit(settings.max_concurrency, in_flight=metrics.in_flight),
            metrics=metrics,
            summary_timeout_s=settings.summary_timeout_s,
            image_timeout_s=settings.image_timeout_s,
            burst_gap=settings.burst_gap,
            min_messages=settings.min_dialogue_messages,
            min_speakers=settings.min_dialogue_speakers,
            cpu_pool=CpuPool(
                settings.ingest_workers, inline_below_bytes=settings.ingest_inline_bytes
            ),
        )

    @property
    def backend(self) -> Backend:
        """What runs the models (for readiness answers)."""
        return self._backend

    @property
    def tokenizer(self) -> SourceTokenizer:
        """The tokenizer chats are trimmed with (its digest must match the summarizer's)."""
        return self._tokenizer

    def reload_tokenizer(self) -> None:
        """Take the tokenizer file's new contents, when a new export replaced it.

        The file sits behind the export's ``current`` link, so a new export changes it under a
        running gateway; readiness calls this when the summarizer's tokenizer is not ours, so
        that a gateway follows a new export without a restart. A file that cannot be read or
        parsed (an export midway) keeps the tokenizer in use.
        """
        try:
            fresh = self._tokenizer.reread()
        except Exception as exc:  # tokenizers raises plain Exception on a file it cannot parse
            logger.warning(
                "summarizer tokenizer %s not reloaded: %s", self._tokenizer.path, type(exc).__name__
            )
            return
        if fresh is None:
            return
        logger.info(
            "summarizer tokenizer reloaded from %s: sha256 %s -> %s (budget %d tokens)",
            fresh.path,
            self._tokenizer.digest[:12],
            fresh.digest[:12],
            fresh.budget,
        )
        self._tokenizer = fresh

    @property
    def image_sizes(self) -> ImageSizes:
        """The picture sizes the served diffusion model takes."""
        return self._image_sizes

    async def start(self) -> None:
        """Start the backend (before the first request)."""
        await self._backend.start()

    async def close(self) -> None:
        """Close the backend and stop the CPU pool's workers (after the last request)."""
        try:
            await self._backend.close()
        finally:
            self._cpu_pool.close()

    async def summarize(self, chat: ChatInput) -> SummaryResult:
        """Summarize the latest conversation of ``chat``."""
        self._backend.check_ready()
        async with self._limit.slot(), self._backend.job():
            return await self._summary(chat, time.perf_counter())

    async def generate_image(self, request: ImageRequest) -> ImageResult:
        """Draw ``request.prompt``."""
        self._backend.check_ready()
        async with self._limit.slot(), self._backend.job():
            return await self._image(request, time.perf_counter())

    async def chat_to_image(
        self, chat: ChatInput, options: ImageOptions
    ) -> AsyncIterator[SummaryResult | ImageResult]:
        """Summarize ``chat``, yield the summary at once, then draw it and yield the image.

        One slot (and one backend job) is held for both; callers close the iterator
        (``contextlib.aclosing``) so that a client that goes away frees it at once.
        """
        self._backend.check_ready()
        async with self._limit.slot(), self._backend.job():
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
        with self._metrics.stage("parse", "gateway"):
            parsed, dialogue = await self._dialogue(chat)
        with self._metrics.stage("summarize", SUMMARIZER):
            summary = await self._backend.summarize(
                dialogue.text, timeout_s=self._summary_timeout_s
            )
        return SummaryResult(
            summary=summary,
            message_count=dialogue.message_count,
            speaker_count=dialogue.speaker_count,
            start=dialogue.start,
            end=dialogue.end,
            chat_format=parsed.format.value,
        )

    async def _dialogue(self, chat: ChatInput) -> tuple[ParsedChat, Dialogue]:
        """Parse and trim with the local tokenizer: one pure call, off the event loop.

        A big chat holds one of the pool's places for it (or gets 429) and runs in a worker
        process, where the summary deadline really stops it; a small one runs in a thread.
        """
        select = functools.partial(
            latest_dialogue, min_messages=self._min_messages, min_speakers=self._min_speakers
        )
        size = chat.size()
        try:
            with self._cpu_pool.admit(size):
                return await self._cpu_pool.run(
                    select,
                    chat,
                    self._tokenizer,
                    self._burst_gap,
                    size=size,
                    stage="summary",
                    timeout_s=self._summary_timeout_s,
                )
        except IngestError as exc:
            raise from_ingest_error(exc) from exc

    async def _image(self, request: ImageRequest, admitted: float) -> ImageResult:
        with self._metrics.stage("generate", DIFFUSION):
            result = await self._within(
                "image",
                self._image_timeout_s,
                self._backend.draw(request, timeout_s=self._image_timeout_s),
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
