"""The in-process reference: the exported engines called directly, one request at a time.

It does what one request costs in our stack minus the gateway and Triton: read and trim the
chat (:func:`gateway.dialogue.latest_dialogue`), summarize with
:class:`~model_repository.summarization.Summarizer` (CTranslate2, one thread as each Triton
instance holds one core),
draw with :class:`~model_repository.diffusion_pipeline.DiffusionRunner` on ONNX Runtime
sessions (threads from ``CALLE_ORT_THREADS``, as Triton's models), encode the PNG. The same
chats and seeds as the load test's first user, so its times compare with ours at one user.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from export.repository import SUMMARIZER, read_config
from gateway.dialogue import SourceTokenizer, latest_dialogue
from gateway.http.schemas import SummaryRequest
from loadtest.benchmark.report import Reference
from loadtest.benchmark.samples import Latency
from loadtest.chats import GeneratedChat
from model_repository.diffusion_pipeline import DiffusionRunner, to_png
from model_repository.onnx_session import create_session
from model_repository.summarization import TOKENIZER_FILE, Summarizer

logger = logging.getLogger(__name__)

GRAPH = "model.onnx"


class OnnxReference:
    """The served models' graphs and runtime code, without a server.

    Args:
        repository: An exported model repository.
    """

    def __init__(self, repository: Path) -> None:
        folder = repository / SUMMARIZER / "1"
        parameters = read_config(repository / SUMMARIZER / "config.pbtxt").parameters
        self.summarizer = Summarizer(
            folder,
            threads=1,
            first_sentence_only=parameters["first_sentence_only"].string_value == "true",
        )
        self.tokenizer = SourceTokenizer(folder / TOKENIZER_FILE)
        text_encoder, unet, vae_decoder = (
            create_session(repository / name / "1" / GRAPH)
            for name in ("text_encoder", "unet", "vae_decoder")
        )
        self.runner = DiffusionRunner.from_directory(
            repository / "diffusion" / "1",
            encode_text=lambda ids: text_encoder.run(None, {"input_ids": ids})[0],
            denoise=lambda x, t, e: unet.run(
                None, {"sample": x, "timestep": t, "encoder_hidden_states": e}
            )[0],
            decode=lambda z: vae_decoder.run(None, {"latent_sample": z})[0],
        )

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
) -> Reference:
    """Send chats one after another for ``run_seconds`` (at least three), after warm-up ones.

    Args:
        repository: The exported repository our stack serves.
        chats: The chats, in the order the load test's first user sends them.
        run_seconds: How long to keep sending.
        warmup: Chats sent first and not counted (first runs allocate).
    """
    reference = OnnxReference(repository)
    for chat in warmup:
        reference.chat_to_image(chat)
    summaries, images = [], []
    deadline = time.monotonic() + run_seconds
    while time.monotonic() < deadline or len(images) < 3:
        to_summary, to_image = reference.chat_to_image(next(chats))
        summaries.append(to_summary)
        images.append(to_image)
        logger.info("reference request %d: %.2f s, %.2f s", len(images), to_summary, to_image)
    return Reference(
        requests=len(images),
        time_to_summary=Latency.of_seconds(summaries),
        time_to_image=Latency.of_seconds(images),
    )
