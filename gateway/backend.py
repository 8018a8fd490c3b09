"""What the gateway serves from: the models behind one protocol, whatever runs them.

:class:`gateway.service.CalleService` reads and trims chats, admits requests, holds deadlines
and records metrics; a :class:`Backend` only runs the two models. Three implement it: Triton
(what we serve, :mod:`gateway.triton`), the seed-style single PyTorch process (the baseline,
:mod:`loadtest.baseline`) and our engines in this process (the reference and the best
single-process peer, :mod:`loadtest.benchmark.in_process`). The same app serves each
(:func:`gateway.http.app.create_app`), so the load test compares like with like, and HTTP
contract tests run against a fake one without a server.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from gateway.service_io import ImageRequest, ImageResult


class Backend(Protocol):
    """Runs the summarizer and the picture model for the service layer."""

    async def start(self) -> None:
        """Connect or load (called once, before the first request)."""

    async def close(self) -> None:
        """Release what :meth:`start` took (called once, after the last request)."""

    def check_ready(self) -> None:
        """Return at once when requests can be served, else raise.

        Raises:
            gateway.errors.TritonUnavailableError: Not ready (503, with ``Retry-After``).
        """

    async def readiness(self, *, timeout_s: float) -> dict[str, bool]:
        """Whether each model the gateway calls is ready, by model name."""

    async def summarizer_tokenizer_digest(self, *, timeout_s: float) -> str | None:
        """SHA-256 of the tokenizer the summarizer was exported with (``None``: cannot say)."""

    def job(self) -> AbstractAsyncContextManager[None]:
        """The span of one request's whole work (summary, picture or both).

        The service enters it around each request once admitted. Concurrent backends make it
        a no-op; the baseline makes it one worker's turn, so a second request waits for the
        first one's summary and picture, as the first version of the service did.
        """

    async def summarize(self, dialogue: str, *, timeout_s: float) -> str:
        """The summary of an already trimmed, pseudonymized dialogue.

        Raises:
            gateway.errors.GatewayError: The model failed, refused the input or timed out.
        """

    async def draw(self, request: ImageRequest, *, timeout_s: float) -> ImageResult:
        """A PNG of ``request.prompt``, with the seed used.

        Raises:
            gateway.errors.GatewayError: The model failed, refused a value or timed out.
        """
