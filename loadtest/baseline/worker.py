"""One worker thread that runs each request's whole pipeline before the next request's.

This is what made the first version slow under load, and the property the baseline must keep:
FastAPI would run blocking work in a thread pool, so a chat-to-image request is one job on a
one-thread executor, its summary and its picture together. Its summary is handed back as soon
as it exists (the stream sends it), but the next request starts only after the picture.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from contract.repository import summarizer_tokenizer
from gateway.dialogue import SourceTokenizer, latest_dialogue
from gateway.errors import ModelRejectedInputError, from_ingest_error
from gateway.ingest import IngestError
from gateway.service_io import ChatInput, ImageOptions, ImageRequest, ImageResult, SummaryResult
from loadtest.baseline.models import BaselineModels
from loadtest.local_backend import RANDOM_SEED_BOUND

T = TypeVar("T")
A = TypeVar("A")


class SingleWorker:
    """Runs the baseline's jobs one after another on one thread.

    Args:
        models: The models the jobs use.
        repository: The repository they were exported to (chats are trimmed with its tokenizer).
    """

    def __init__(self, models: BaselineModels, repository: Path) -> None:
        self._models = models
        self._source_tokenizer = SourceTokenizer(summarizer_tokenizer(repository))
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="baseline-worker")

    async def summarize(self, chat: ChatInput) -> SummaryResult:
        """A summary, after every job queued before it."""
        return await self._run(self._summarize, chat)

    async def draw(self, request: ImageRequest) -> ImageResult:
        """A picture, after every job queued before it."""
        return await self._run(self._draw, request)

    def _summarize(self, chat: ChatInput) -> SummaryResult:
        try:
            parsed, dialogue = latest_dialogue(chat, self._source_tokenizer)
        except IngestError as exc:
            raise from_ingest_error(exc) from exc
        return SummaryResult(
            summary=self._models.summarize(dialogue.text),
            message_count=dialogue.message_count,
            speaker_count=dialogue.speaker_count,
            start=dialogue.start,
            end=dialogue.end,
            chat_format=parsed.format.value,
        )

    def _draw(self, request: ImageRequest) -> ImageResult:
        seed = secrets.randbelow(RANDOM_SEED_BOUND) if request.seed is None else request.seed
        try:
            return ImageResult(png=self._models.draw(request, seed), seed=seed)
        except ValueError as exc:
            raise ModelRejectedInputError("diffusion", str(exc)) from exc

    def chat_to_image(
        self, chat: ChatInput, options: ImageOptions
    ) -> tuple[asyncio.Future[SummaryResult], asyncio.Future[ImageResult]]:
        """Queue one job that summarizes ``chat`` and then draws the summary.

        Returns:
            The summary (ready as soon as the job has it) and the picture. A failed summary
            fails both.
        """
        loop = asyncio.get_running_loop()
        summary_ready: asyncio.Future[SummaryResult] = loop.create_future()

        def job() -> ImageResult:
            try:
                summary = self._summarize(chat)
            except Exception as exc:
                loop.call_soon_threadsafe(_settle, summary_ready, None, exc)
                raise
            loop.call_soon_threadsafe(_settle, summary_ready, summary, None)
            request = ImageRequest.model_construct(**options.model_dump(), prompt=summary.summary)
            return self._draw(request)

        image_ready = asyncio.wrap_future(self._executor.submit(job))
        # Whoever awaits it still gets its error; this only keeps an unawaited one quiet.
        image_ready.add_done_callback(_retrieve)
        return summary_ready, image_ready

    def close(self) -> None:
        """Drop queued jobs and let the running one finish on its own."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _run(self, work: Callable[[A], T], argument: A) -> T:
        return await asyncio.wrap_future(self._executor.submit(work, argument))


def _settle(future: asyncio.Future[T], result: T | None, error: Exception | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)  # type: ignore[arg-type]


def _retrieve(future: asyncio.Future[object]) -> None:
    if not future.cancelled():
        future.exception()
