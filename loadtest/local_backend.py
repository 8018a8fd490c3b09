"""What the backends that run the models in this process share (the baseline and in-process).

Both load an exported repository's models before the app listens, so they are ready as long
as they exist; both report the tokenizer digest the exported summarizer carries (so the
gateway's ``/readyz`` checks the same thing it checks on Triton); both draw a seed for a request
without one as Triton's diffusion model does, and turn a value the picture model refuses into
the gateway's 400. The model calls block, so they run on an executor; a call cannot be stopped
once started, so the service's deadline (``timeout_s``) ends the wait, not the work.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TypeVar

from contract.repository import DIFFUSION, GATEWAY_MODELS, SUMMARIZER, config_file
from contract.tensors import TOKENIZER_SHA256
from export.repository import read_config
from gateway.errors import ModelRejectedInputError
from gateway.service_io import ImageRequest, ImageResult

T = TypeVar("T")

RANDOM_SEED_BOUND = 2**32  # as Triton's diffusion model draws seeds for requests without one


def summarizer_parameters(repository: Path) -> Mapping[str, str]:
    """The exported summarizer's ``config.pbtxt`` parameters, as strings."""
    parameters = read_config(config_file(repository, SUMMARIZER)).parameters
    return {name: value.string_value for name, value in parameters.items()}


class LocalBackend(ABC):
    """A :class:`gateway.backend.Backend` whose models run in this process.

    Subclasses load the models and implement :meth:`_summarize` and :meth:`_draw`.

    Args:
        repository: The exported repository the models come from (or were exported to).
        executor: Where the blocking model calls run.
    """

    def __init__(self, repository: Path, executor: Executor) -> None:
        self._executor = executor
        self._digest = summarizer_parameters(repository).get(TOKENIZER_SHA256, "")

    async def start(self) -> None:  # noqa: B027 - a Backend hook with nothing to do here
        """Nothing to do: the models were loaded when the backend was made."""

    async def close(self) -> None:
        """Drop queued calls; a running one finishes on its own (it cannot be stopped)."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    def check_ready(self) -> None:  # noqa: B027 - a Backend hook with nothing to do here
        """Always ready: the models exist as soon as the backend does."""

    async def readiness(self, *, timeout_s: float) -> dict[str, bool]:  # noqa: ARG002
        """Every model the gateway calls is ready (they are loaded)."""
        return dict.fromkeys(GATEWAY_MODELS, True)

    async def summarizer_tokenizer_digest(self, *, timeout_s: float) -> str | None:  # noqa: ARG002
        """The ``tokenizer_sha256`` parameter the exported summarizer carries."""
        return self._digest

    def job(self) -> AbstractAsyncContextManager[None]:
        """Nothing to wait for: calls of several requests may run side by side."""
        return contextlib.nullcontext()

    async def summarize(self, dialogue: str, *, timeout_s: float) -> str:  # noqa: ARG002
        """The summary of ``dialogue``, computed on the executor."""
        return await self._run(self._summarize, dialogue)

    async def draw(self, request: ImageRequest, *, timeout_s: float) -> ImageResult:  # noqa: ARG002
        """A PNG of ``request.prompt`` (a seed drawn when it has none), on the executor.

        Raises:
            ModelRejectedInputError: The picture model refused a value (a size it cannot draw).
        """
        seed = secrets.randbelow(RANDOM_SEED_BOUND) if request.seed is None else request.seed
        try:
            png = await self._run(lambda: self._draw(request, seed))
        except ValueError as exc:
            raise ModelRejectedInputError(DIFFUSION, str(exc)) from exc
        return ImageResult(png=png, seed=seed)

    @abstractmethod
    def _summarize(self, dialogue: str) -> str:
        """The summary (blocking)."""

    @abstractmethod
    def _draw(self, request: ImageRequest, seed: int) -> bytes:
        """The PNG (blocking); raises ``ValueError`` for a value the model refuses."""

    async def _run(self, work: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, work, *args)
