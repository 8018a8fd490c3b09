"""Triton's readiness as the gateway last saw it, kept current so requests can fail fast.

A background probe asks ``/v2/health/ready`` (gRPC ``ServerReady``: no model runs) every
``interval_s``; calls that find Triton unreachable report it at once. While Triton is not
ready, new requests are refused with 503 + ``Retry-After`` before they take a slot, and the
Triton calls in flight are cancelled (they fail with 503 too) instead of hanging on a stalled
server until their stage deadline. A probe that times out counts only the second time in a row,
so one slow answer under load does not cut everyone's work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

from tritonclient.grpc import KeepAliveOptions
from tritonclient.grpc.aio import InferenceServerClient
from tritonclient.utils import InferenceServerException

from gateway.errors import TritonUnavailableError

logger = logging.getLogger(__name__)

# gRPC's default reconnect backoff grows to 120 s while Triton restarts; capped at 1 s here so
# the gateway is back within a second of Triton.
MAX_RECONNECT_BACKOFF_MS = 1000
# tritonclient's own default: no gateway-side limit on what Triton returns.
MAX_MESSAGE_BYTES = 2**31 - 1

# Probe timeouts in a row that make Triton "not ready" (an error answer counts at once).
TIMEOUTS_TO_FLIP = 2


def channel_args() -> list[tuple[str, int]]:
    """The Triton client's default channel options, plus a short reconnect backoff."""
    keepalive = KeepAliveOptions()
    return [
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.keepalive_time_ms", keepalive.keepalive_time_ms),
        ("grpc.keepalive_timeout_ms", keepalive.keepalive_timeout_ms),
        ("grpc.keepalive_permit_without_calls", int(keepalive.keepalive_permit_without_calls)),
        ("grpc.http2.max_pings_without_data", keepalive.http2_max_pings_without_data),
        ("grpc.initial_reconnect_backoff_ms", 100),
        ("grpc.min_reconnect_backoff_ms", 100),
        ("grpc.max_reconnect_backoff_ms", MAX_RECONNECT_BACKOFF_MS),
    ]


class TritonReadiness:
    """The current readiness of one Triton, and the calls to cancel when it goes away.

    Not ready until :meth:`start` has probed the client once.

    Args:
        interval_s: Time between probes.
        timeout_s: Deadline of one probe.
    """

    def __init__(self, *, interval_s: float, timeout_s: float) -> None:
        self._client: InferenceServerClient | None = None
        self._interval_s = interval_s
        self._timeout_s = timeout_s
        self.ready = False
        self.reason = "not probed yet"
        self._timeouts = 0
        self._calls: set[asyncio.Task[object]] = set()
        self.abandoned: set[asyncio.Task[object]] = set()
        self._task: asyncio.Task[None] | None = None

    async def start(self, client: InferenceServerClient) -> None:
        """Probe ``client`` once (so the first requests see the truth), then keep probing."""
        self._client = client
        await self.probe()
        self._task = asyncio.create_task(self._probe_forever(), name="triton-readiness")

    async def stop(self) -> None:
        """Stop probing (Triton counts as not ready from now on)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.ready, self.reason = False, "stopped"

    async def probe(self) -> None:
        """Ask Triton once and record the answer."""
        assert self._client is not None  # set by start()
        try:
            ready = await self._client.is_server_ready(client_timeout=self._timeout_s)
        except InferenceServerException as exc:
            status = str(exc.status() or "")
            if status.endswith("DEADLINE_EXCEEDED"):
                self._timeouts += 1
                if self._timeouts >= TIMEOUTS_TO_FLIP:
                    self.mark_unavailable(f"no answer within {self._timeout_s:g} s")
                return
            self.mark_unavailable(status or "unreachable")
            return
        self._timeouts = 0
        if ready:
            self._mark_ready()
        else:
            self.mark_unavailable("server not ready")

    def check(self) -> None:
        """Refuse new work while Triton is not ready.

        Raises:
            TritonUnavailableError: With the reason in its details.
        """
        if not self.ready:
            raise TritonUnavailableError(details=[{"triton": "not ready", "reason": self.reason}])

    def mark_unavailable(self, reason: str) -> None:
        """Record that Triton is not ready, and cancel the calls waiting on it."""
        if self.ready:
            logger.warning(
                "Triton not ready (%s): refusing new work, cancelling %d call(s) in flight",
                reason,
                len(self._calls),
            )
        self.ready, self.reason = False, reason
        for task in self._calls:
            if task not in self.abandoned:
                self.abandoned.add(task)
                task.cancel()

    @contextlib.contextmanager
    def call(self) -> Iterator[None]:
        """Track the current task's Triton call, so that it is cancelled if Triton goes away.

        Callers catch ``CancelledError`` and ask :meth:`was_abandoned` whether the
        cancellation came from here (then the call failed with 503) or from their own caller.
        """
        task = asyncio.current_task()
        assert task is not None  # always called from a task
        self._calls.add(task)
        try:
            yield
        finally:
            self._calls.discard(task)

    def was_abandoned(self) -> bool:
        """Whether this task's call was cancelled because Triton went away (clears the mark)."""
        task = asyncio.current_task()
        if task in self.abandoned:
            self.abandoned.discard(task)  # type: ignore[arg-type]
            task.uncancel()  # type: ignore[union-attr]
            return True
        return False

    def _mark_ready(self) -> None:
        if not self.ready:
            logger.info("Triton ready")
        self.ready, self.reason = True, "ready"

    async def _probe_forever(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                await self.probe()
            except Exception:  # the probe must outlive any surprise
                logger.exception("Triton readiness probe failed")
