"""A bounded pool of worker processes for CPU-heavy request work, where a deadline stops it.

A thread cannot be stopped: work that misses its deadline in ``asyncio.to_thread`` keeps
burning a core and a pool thread while its client already got 504, and enough of them starve
every other request. Here the work runs in one of ``workers`` processes (Pebble's
``ProcessPool``): at the deadline, or when the request is cancelled (its client went away), the
worker running it is terminated and replaced. Requests with big inputs first take one of
``workers`` places (:meth:`CpuPool.admit`) for all their CPU-heavy stages, or are refused at
once with 429: heavy requests never queue, so they cannot hold up the ones behind them. Work on
small inputs (``inline_below_bytes``) skips the pool and runs in a thread as before, since its
cost is bounded by its size.

Functions must be picklable module-level functions of picklable arguments; what they raise
comes back as the same exception type with the same attributes (rebuilt without calling its
``__init__``, which pickle would otherwise call with the wrong arguments).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, TypeVar

from pebble import ProcessPool

from gateway.errors import GatewayBusyError, StageTimeoutError

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Workers are replaced after this many tasks, so that memory a parser keeps cannot pile up.
TASKS_PER_WORKER = 200


@dataclass(frozen=True)
class _Raised:
    """An exception from a worker, in a form that always pickles."""

    kind: type[BaseException]
    args: tuple[Any, ...]
    state: dict[str, Any]

    def rebuild(self) -> BaseException:
        error = self.kind.__new__(self.kind)
        error.args = self.args
        error.__dict__.update(self.state)
        return error


def _run_in_worker(function: Callable[..., T], args: tuple[Any, ...]) -> T | _Raised:
    try:
        return function(*args)
    except Exception as exc:
        return _Raised(type(exc), exc.args, dict(exc.__dict__))


class CpuPool:
    """Run pure functions in worker processes, each call under a deadline that kills it.

    Args:
        workers: Worker processes, i.e. heavy calls at once (``CALLE_INGEST_WORKERS``).
        inline_below_bytes: Inputs smaller than this run in a thread instead.
    """

    def __init__(self, workers: int, *, inline_below_bytes: int) -> None:
        self._workers = workers
        self._inline_below_bytes = inline_below_bytes
        # forkserver: workers never inherit the gateway's threads (gRPC, asyncio) mid-state.
        self._pool = ProcessPool(
            max_workers=workers,
            max_tasks=TASKS_PER_WORKER,
            context=multiprocessing.get_context("forkserver"),
        )
        self._busy = 0

    def is_heavy(self, size: int) -> bool:
        """Whether work on an input of ``size`` bytes goes to the pool."""
        return size >= self._inline_below_bytes

    @contextlib.contextmanager
    def admit(self, size: int) -> Iterator[None]:
        """Hold a place for the heavy stages of one request with an input of ``size`` bytes.

        Small inputs need none. (One event loop: the check and the count cannot interleave.)

        Raises:
            GatewayBusyError: Every place is taken (429; nothing was started).
        """
        if not self.is_heavy(size):
            yield
            return
        if self._busy >= self._workers:
            raise GatewayBusyError()
        self._busy += 1
        try:
            yield
        finally:
            self._busy -= 1

    async def run(
        self,
        function: Callable[..., T],
        *args: Any,
        size: int,
        stage: str,
        timeout_s: float,
    ) -> T:
        """``function(*args)`` within ``timeout_s``; its exceptions propagate as they are.

        Call it inside :meth:`admit` so that heavy work never queues.

        Args:
            function: A picklable pure function.
            *args: Its picklable arguments.
            size: The input's size in bytes (small inputs run in a thread).
            stage: The stage named in the timeout error.
            timeout_s: The deadline; the worker is killed when it passes.

        Raises:
            StageTimeoutError: The deadline passed (504; the work was stopped).
        """
        if not self.is_heavy(size):
            return await asyncio.wait_for(asyncio.to_thread(function, *args), timeout_s)
        future = self._pool.schedule(_run_in_worker, args=(function, args), timeout=timeout_s)
        try:
            # Cancelling this await (client gone) cancels the future: Pebble kills its worker.
            result = await asyncio.wrap_future(future)
        except FutureTimeout as exc:
            logger.warning("%s work stopped at its %g s deadline", stage, timeout_s)
            raise StageTimeoutError(stage, timeout_s) from exc
        if isinstance(result, _Raised):
            raise result.rebuild()
        return result

    def close(self) -> None:
        """Stop the workers (running work is killed) and wait for them."""
        self._pool.stop()
        self._pool.join()
