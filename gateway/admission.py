"""The gateway's concurrency limit: a request either gets a slot at once or a 429.

Queueing in the gateway would only hide overload behind growing latency; refusing with
``Retry-After`` lets clients and load balancers back off while Triton's own queues absorb the
bursts they are sized for.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from prometheus_client import Gauge

from gateway.errors import GatewayBusyError


class ConcurrencyLimit:
    """At most ``limit`` requests served at once, counted in the in-flight gauge.

    Args:
        limit: ``CALLE_MAX_CONCURRENCY``.
        in_flight: ``calle_requests_in_flight``.
    """

    def __init__(self, limit: int, *, in_flight: Gauge) -> None:
        self._limit = limit
        self._in_flight = in_flight
        self._active = 0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold a slot for the enclosed work.

        Raises:
            GatewayBusyError: Every slot is taken.
        """
        # Single event loop: the check and the increment cannot interleave with another task.
        if self._active >= self._limit:
            raise GatewayBusyError()
        self._active += 1
        self._in_flight.inc()
        try:
            yield
        finally:
            self._active -= 1
            self._in_flight.dec()
