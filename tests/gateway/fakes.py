"""A fake :class:`gateway.backend.Backend`: the whole protocol, deterministic, no server.

HTTP and service contract tests run the real app and service on it in milliseconds; what
needs the real models stays with the Triton-backed integration tests.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from PIL import Image
from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from tokenizers.pre_tokenizers import Whitespace

from contract.repository import GATEWAY_MODELS
from gateway.errors import GatewayError, TritonUnavailableError
from gateway.image_sizes import ImageSizes
from gateway.service_io import ImageRequest, ImageResult

DEFAULT_SEED = 7
# The tiny preset's sizes: multiples of 16 up to 128, 64x64 unless asked.
FAKE_SIZES = ImageSizes(multiple=16, maximum=128, default_height=64, default_width=64)


def write_word_tokenizer(path: Path, *, budget: int = 10_000) -> Path:
    """Save a word-level ``tokenizer.json`` whose truncation is ``budget`` (one token a word).

    Shaped like an exported summarizer tokenizer (left truncation), so that
    :class:`gateway.dialogue.SourceTokenizer` reads its budget from it.
    """
    tokenizer = Tokenizer(WordLevel({"[UNK]": 0}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = Whitespace()
    tokenizer.enable_truncation(max_length=budget, direction="left")
    tokenizer.save(str(path))
    return path


def write_pipeline_sizes(path: Path, sizes: ImageSizes = FAKE_SIZES) -> Path:
    """Save the size fields of an exported ``pipeline.json`` (all the gateway reads of it)."""
    fields = {
        "size_multiple": sizes.multiple,
        "max_size": sizes.maximum,
        "default_height": sizes.default_height,
        "default_width": sizes.default_width,
    }
    path.write_text(json.dumps(fields), encoding="utf-8")
    return path


def png_of(prompt: str, seed: int, size: int = 8) -> bytes:
    """A small real PNG whose colour follows the prompt and the seed."""
    red, green, blue = hashlib.sha256(f"{seed}:{prompt}".encode()).digest()[:3]
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), (red, green, blue)).save(buffer, format="PNG")
    return buffer.getvalue()


class FakeBackend:
    """'Summarizes' by counting the dialogue's lines, draws a PNG of the prompt's hash.

    Args:
        tokenizer_digest: What the summarizer says it was exported with (``None``: cannot say).
        summary_delay: Seconds each summary takes.
        image_delay: Seconds each picture takes.

    Attributes:
        ready: Whether :meth:`check_ready` lets requests in (set it to test 503s).
        failure: Raised by the next model calls instead of answering, when set.
        dialogues: Every dialogue the summarizer was fed, in order.
        prompts: Every prompt the picture model was fed, in order.
        events: ``start``, ``job``, ``summarize``, ``draw``, ``job done``, ``close`` as they
            happened.
    """

    def __init__(
        self,
        *,
        tokenizer_digest: str | None = None,
        summary_delay: float = 0.0,
        image_delay: float = 0.0,
    ) -> None:
        self.tokenizer_digest = tokenizer_digest
        self.summary_delay = summary_delay
        self.image_delay = image_delay
        self.ready = True
        self.failure: GatewayError | None = None
        self.dialogues: list[str] = []
        self.prompts: list[str] = []
        self.events: list[str] = []

    async def start(self) -> None:
        self.events.append("start")

    async def close(self) -> None:
        self.events.append("close")

    def check_ready(self) -> None:
        if not self.ready:
            raise TritonUnavailableError(details=[{"triton": "not ready", "reason": "fake"}])

    async def readiness(self, *, timeout_s: float) -> dict[str, bool]:
        return dict.fromkeys(GATEWAY_MODELS, self.ready)

    async def summarizer_tokenizer_digest(self, *, timeout_s: float) -> str | None:
        return self.tokenizer_digest

    @asynccontextmanager
    async def job(self) -> AsyncIterator[None]:
        self.events.append("job")
        try:
            yield
        finally:
            self.events.append("job done")

    async def summarize(self, dialogue: str, *, timeout_s: float) -> str:
        self.dialogues.append(dialogue)
        self.events.append("summarize")
        await asyncio.sleep(self.summary_delay)
        if self.failure is not None:
            raise self.failure
        return f"{dialogue.count(chr(10)) + 1} lines"

    async def draw(self, request: ImageRequest, *, timeout_s: float) -> ImageResult:
        self.prompts.append(request.prompt)
        self.events.append("draw")
        await asyncio.sleep(self.image_delay)
        if self.failure is not None:
            raise self.failure
        seed = DEFAULT_SEED if request.seed is None else request.seed
        return ImageResult(png=png_of(request.prompt, seed), seed=seed)
