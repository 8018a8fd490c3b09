"""uvicorn's h11 protocol with a deadline for request headers.

uvicorn times out idle keep-alive connections but not a client that opens a connection and
sends its headers slowly (or never): each such connection is held for ever. This subclass arms
a timer when a connection opens and after each response, and closes the connection if the
next request's headers have not all arrived when it fires. It overrides only asyncio's
protocol callbacks and reads h11's public connection state (``their_state``), the same
attributes uvicorn's own keep-alive timeout uses; the test in
``tests/gateway/http/test_timeouts.py`` checks the wiring against the installed uvicorn.
"""

from __future__ import annotations

import asyncio
import logging

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

logger = logging.getLogger(__name__)


class HeaderTimeoutProtocol(H11Protocol):
    """H11Protocol that closes connections whose request headers take too long."""

    header_timeout_s = 10.0
    _header_timer: asyncio.TimerHandle | None = None

    @classmethod
    def with_timeout(cls, timeout_s: float) -> type[HeaderTimeoutProtocol]:
        """The protocol class for uvicorn's ``http=`` setting, with this deadline."""
        return type(cls.__name__, (cls,), {"header_timeout_s": timeout_s})

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the clock for the first request's headers."""
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        """Stop the clock once the headers are complete (h11 left the IDLE state)."""
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()

    def on_response_complete(self) -> None:
        """Start the clock for the next request on this connection."""
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the clock."""
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._headers_late)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            logger.info("closed a connection: no complete headers in %g s", self.header_timeout_s)
            self.transport.close()
