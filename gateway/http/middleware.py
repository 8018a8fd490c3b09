"""ASGI middleware: request ids, request metrics and access logs, the request size limit.

Pure ASGI (no ``BaseHTTPMiddleware``) so that streamed responses pass through untouched and the
size limit sees request bodies chunk by chunk.
"""

from __future__ import annotations

import logging
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import InternalError, PayloadTooLargeError
from gateway.http.errors import error_response
from gateway.metrics import GatewayMetrics
from gateway.request_id import HEADER, current_request_id, request_id_from

logger = logging.getLogger(__name__)

# Probes and scrapes would drown the request metrics and the access log.
UNMEASURED_PATHS = frozenset({"/metrics", "/healthz", "/readyz"})
# The route label of requests that matched no API route: unknown paths, static files, the docs.
OTHER_ROUTE = "other"


class RequestIdMiddleware:
    """Take ``X-Request-ID`` (or make one), log under it, answer with it.

    Also the last line of defence: an exception no handler took becomes a 500 in the error
    schema (with the id) instead of Starlette's plain-text page.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request under its id."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(Headers(scope=scope).get(HEADER))
        token = current_request_id.set(request_id)
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("unhandled error")
            if started:
                raise
            await error_response(InternalError())(scope, receive, send_with_id)
        finally:
            current_request_id.reset(token)


class RequestMetricsMiddleware:
    """Count requests by route template and status, and write the access log line."""

    def __init__(self, app: ASGIApp, metrics: GatewayMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Measure one request (health, readiness and metrics are not measured)."""
        if scope["type"] != "http" or scope["path"] in UNMEASURED_PATHS:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            # The route template, never the raw path: label values stay few.
            route = getattr(scope.get("route"), "path", OTHER_ROUTE)
            self.metrics.requests.labels(route=route, status=str(status)).inc()
            logger.info(
                "%s %s -> %d in %.3f s",
                scope["method"],
                route,
                status,
                time.perf_counter() - started,
            )


class BodySizeLimitMiddleware:
    """Refuse bodies over ``max_bytes`` with 413, whether declared or streamed.

    A declared ``Content-Length`` over the limit is refused before anything is read; a body
    without one (chunked) is counted as it arrives and reading fails with
    :class:`PayloadTooLargeError` as soon as it passes the limit, which the error handlers
    render like any other gateway error.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Guard one request's body."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await error_response(PayloadTooLargeError(self.max_bytes))(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise PayloadTooLargeError(self.max_bytes)
            return message

        await self.app(scope, limited_receive, send)
