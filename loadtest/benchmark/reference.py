"""The in-process reference: our engines called directly, one request at a time.

It does what one request costs in our stack minus the gateway and Triton: read and trim the
chat (:func:`gateway.dialogue.latest_dialogue`, as the service does), summarize and draw on
:class:`~loadtest.benchmark.in_process.InProcessBackend`. The same chats and seeds as the load
test's first user, so its times compare with ours at one user.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from contract.repository import summarizer_tokenizer
from export.versions import served_repository
from gateway.dialogue import SourceTokenizer, latest_dialogue
from gateway.service_io import ImageRequest
from loadtest.benchmark.in_process import InProcessBackend
from loadtest.benchmark.report import Reference
from loadtest.benchmark.samples import Latency
from loadtest.chats import GeneratedChat

logger = logging.getLogger(__name__)

ORT_THREADS = "CALLE_ORT_THREADS"
# The in-process calls cannot be stopped; a deadline would only stop the wait for them.
NO_DEADLINE_S = float("inf")


async def chat_to_image(
    backend: InProcessBackend, tokenizer: SourceTokenizer, chat: GeneratedChat
) -> tuple[float, float]:
    """Seconds to the summary and to the PNG of one chat."""
    started = time.perf_counter()
    _, dialogue = latest_dialogue(chat.chat_input(), tokenizer)
    summary = await backend.summarize(dialogue.text, timeout_s=NO_DEADLINE_S)
    to_summary = time.perf_counter() - started
    request = ImageRequest(prompt=summary, seed=chat.image_seed)
    await backend.draw(request, timeout_s=NO_DEADLINE_S)
    return to_summary, time.perf_counter() - started


def measure_reference(
    repository: Path,
    chats: Iterator[GeneratedChat],
    *,
    run_seconds: float,
    warmup: Iterable[GeneratedChat] = (),
    threads: int | None = None,
) -> Reference:
    """Send chats one after another for ``run_seconds`` (at least three), after warm-up ones.

    Args:
        repository: The exported repository our stack serves (or the export root naming it).
        chats: The chats, in the order the load test's first user sends them.
        run_seconds: How long to keep sending.
        warmup: Chats sent first and not counted (first runs allocate).
        threads: Engine threads per graph (``None``: as one Triton instance; every core: the
            best single-process peer).
    """
    return asyncio.run(_measure(repository, chats, run_seconds, list(warmup), threads))


async def _measure(
    repository: Path,
    chats: Iterator[GeneratedChat],
    run_seconds: float,
    warmup: list[GeneratedChat],
    threads: int | None,
) -> Reference:
    repository = served_repository(repository)
    backend = InProcessBackend(repository, threads)
    tokenizer = SourceTokenizer(summarizer_tokenizer(repository))
    await backend.start()
    try:
        for chat in warmup:
            await chat_to_image(backend, tokenizer, chat)
        summaries, images = [], []
        started = time.monotonic()
        deadline = started + run_seconds
        while time.monotonic() < deadline or len(images) < 3:
            to_summary, to_image = await chat_to_image(backend, tokenizer, next(chats))
            summaries.append(to_summary)
            images.append(to_image)
            logger.info("reference request %d: %.2f s, %.2f s", len(images), to_summary, to_image)
    finally:
        await backend.close()
    return Reference(
        requests=len(images),
        time_to_summary=Latency.of_seconds(summaries),
        time_to_image=Latency.of_seconds(images),
        seconds=time.monotonic() - started,
        threads=threads or int(os.environ.get(ORT_THREADS, "1")),
    )
