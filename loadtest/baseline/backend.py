"""The baseline as a :class:`gateway.backend.Backend`: one worker thread, one request at a time.

This is what made the first version slow under load, and the property the baseline must keep:
every model call runs on one thread, and a request's :meth:`BaselineBackend.job` is that
worker's turn, held from the request's summary to its picture. The service enters it around
each request, so the second person to ask waits for the first person's summary *and* picture;
the summary still streams as soon as it exists.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from gateway.service_io import ImageRequest
from loadtest.baseline.models import BaselineModels
from loadtest.local_backend import LocalBackend


class BaselineBackend(LocalBackend):
    """The PyTorch models behind one worker thread and one turn per request.

    Args:
        models: The loaded models.
        repository: The repository they were exported to (its summarizer's tokenizer digest).
    """

    def __init__(self, models: BaselineModels, repository: Path) -> None:
        super().__init__(
            repository, ThreadPoolExecutor(max_workers=1, thread_name_prefix="baseline-worker")
        )
        self._models = models
        self._turn = asyncio.Lock()  # FIFO: requests are served in the order they came

    def job(self) -> AbstractAsyncContextManager[None]:
        """The worker's turn: the next request starts only after this one's picture."""
        return self._turn

    def _summarize(self, dialogue: str) -> str:
        return self._models.summarize(dialogue)

    def _draw(self, request: ImageRequest, seed: int) -> bytes:
        return self._models.draw(request, seed)
