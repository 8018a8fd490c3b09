"""The in-process reference: the exported engines called directly, one request at a time.

It does what one request costs in our stack minus the gateway and Triton: read and trim the
chat (:func:`gateway.dialogue.latest_dialogue`), summarize with
:class:`~model_repository.summarization.Summarizer` (CTranslate2),
draw with :class:`~model_repository.diffusion_pipeline.DiffusionRunner` on the engines the
tensor models' configs name (threads from ``CALLE_ORT_THREADS``, as Triton's models), encode
the PNG. The same
chats and seeds as the load test's first user, so its times compare with ours at one user.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from contract.repository import SUMMARIZER, TOKENIZER_FILE
from export.repository import configured_engines, read_config
from gateway.dialogue import SourceTokenizer, latest_dialogue
from gateway.http.schemas import SummaryRequest
from loadtest.benchmark.report import Reference
from loadtest.benchmark.samples import Latency
from loadtest.chats import GeneratedChat
from model_repository.diffusion_pipeline import to_png
from model_repository.local_diffusion import local_runner
from model_repository.summarization import Summarizer

logger = logging.getLogger(__name__)

ORT_THREADS = "CALLE_ORT_THREADS"


class OnnxReference:
    """The served models' graphs and runtime code, without a server.

    Args:
        repository: An exported model repository.
        threads: Engine threads per graph; ``None``: ``CALLE_ORT_THREADS`` or 1, as in Triton.
    """

    def __init__(self, repository: Path, threads: int | None = None) -> None:
        folder = repository / SUMMARIZER / "1"
        parameters = read_config(repository / SUMMARIZER / "config.pbtxt").parameters
        self.summarizer = Summarizer(
            folder,
            threads=threads or 1,
            first_sentence_only=parameters["first_sentence_only"].string_value == "true",
        )
        self.tokenizer = SourceTokenizer(folder / TOKENIZER_FILE)
        self.runner = local_runner(repository, configured_engines(repository), threads=threads)

    def chat_to_image(self, chat: GeneratedChat) -> tuple[float, float]:
        """Seconds to the summary and to the PNG of one chat."""
        started = time.perf_counter()
        # The very body the load test sends, read as the gateway reads it.
        body = SummaryRequest.model_validate(chat.request_body())
        _, dialogue = latest_dialogue(body.chat_input(), self.tokenizer)
        summary = self.summarizer.summarize([dialogue.text])[0].text
        to_summary = time.perf_counter() - started
        (image,) = self.runner.generate([summary], [chat.image_seed], self.runner.settings())
        to_png(image)
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
        repository: The exported repository our stack serves.
        chats: The chats, in the order the load test's first user sends them.
        run_seconds: How long to keep sending.
        warmup: Chats sent first and not counted (first runs allocate).
        threads: Engine threads per graph (``None``: as one Triton instance; every core: the
            best single-process peer).
    """
    reference = OnnxReference(repository, threads)
    for chat in warmup:
        reference.chat_to_image(chat)
    summaries, images = [], []
    started = time.monotonic()
    deadline = started + run_seconds
    while time.monotonic() < deadline or len(images) < 3:
        to_summary, to_image = reference.chat_to_image(next(chats))
        summaries.append(to_summary)
        images.append(to_image)
        logger.info("reference request %d: %.2f s, %.2f s", len(images), to_summary, to_image)
    return Reference(
        requests=len(images),
        time_to_summary=Latency.of_seconds(summaries),
        time_to_image=Latency.of_seconds(images),
        seconds=time.monotonic() - started,
        threads=threads or int(os.environ.get(ORT_THREADS, "1")),
    )
