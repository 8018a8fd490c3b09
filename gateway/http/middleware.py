"""ASGI middleware: request ids, metrics and access logs, body limits, abandoned requests.

Pure ASGI (no ``BaseHTTPMiddleware``) so that streamed responses pass through untouched and the
size limit sees request bodies chunk by chunk.
"""

from __future__ import annotations

import asyncio
import logging
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import BodyTimeoutError, InternalError, PayloadTooLargeError
from gateway.http.errors import error_response
from gateway.metrics import GatewayMetrics
from gateway.request_id import HEADER, current_request_id, request_id_from

logger = logging.getLogger(__name__)

# Probes and scrapes would drown the request metrics and the access log.
UNMEASURED_PATHS = frozenset({"/metrics", "/healthz", "/readyz"})
# The route label of requests that matched no API route: unknown paths, static files, the docs.
OTHER_ROUTE = "other"
# Set in the scope when the client went away before its answer: counted as 499 (nginx's
# "client closed request"), not as a server error.
CLIENT_GONE = "calle.client_gone"
CLIENT_GONE_STATUS = "499"


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
        status: int | None = None

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
            if status is not None:
                label = str(status)
            else:  # no answer started: the client left, or an error escaped every handler
                label = CLIENT_GONE_STATUS if scope.get(CLIENT_GONE) else "500"
            self.metrics.requests.labels(route=route, status=label).inc()
            logger.info(
                "%s %s -> %s in %.3f s",
                scope["method"],
                route,
                label,
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


class ClientGoneMiddleware:
    """Stop a request's work the moment its client goes away; bound the time its body may take.

    Starlette does not cancel a handler whose client disconnected: a JSON request kept its slot
    and its Triton call running until the answer was ready, for nobody. Here the handler runs in
    a task of its own. Once the body is read, the server's next message is ``http.disconnect``
    (uvicorn sends it when the connection closes, or after the response); a disconnect before
    the response is complete cancels the task, and with it the Triton call (gRPC cancellation,
    which Triton passes on to the model). The handler still sees the disconnect through
    ``receive`` (sse-starlette listens for it). A client that aborts its upload is the same
    case, earlier: one INFO access line and status 499, no traceback.

    The whole body must arrive within ``body_timeout_s`` of the request's start, else 408:
    a client trickling its upload byte by byte cannot hold a connection for ever. (Headers have
    their own timeout: :mod:`gateway.http.protocol`.)
    """

    def __init__(self, app: ASGIApp, body_timeout_s: float) -> None:
        self.app = app
        self.body_timeout_s = body_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request in a task that a disconnect cancels."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.body_timeout_s
        body_read, gone = asyncio.Event(), asyncio.Event()
        responded = False

        async def guarded_receive() -> Message:
            if body_read.is_set():  # the watcher owns the connection's messages now
                await gone.wait()
                return {"type": "http.disconnect"}
            try:
                message = await asyncio.wait_for(receive(), max(deadline - loop.time(), 0))
            except TimeoutError as exc:
                raise BodyTimeoutError(self.body_timeout_s) from exc
            if message["type"] == "http.disconnect":
                gone.set()
            elif not message.get("more_body", False):
                body_read.set()
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal responded
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                responded = True  # before sending: uvicorn reports the end as a disconnect
            await send(message)

        handler = asyncio.create_task(self.app(scope, guarded_receive, tracked_send))

        async def watch() -> None:
            await body_read.wait()
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()
            if not responded:
                handler.cancel()

        watcher = asyncio.create_task(watch())
        try:
            await handler
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if not gone.is_set() or (task is not None and task.cancelling()):
                raise  # cancelled from outside (shutdown), not by the client leaving
            self._client_gone(scope, "while its request was served")
        except ClientDisconnect:
            self._client_gone(scope, "during its upload")
        finally:
            watcher.cancel()

    @staticmethod
    def _client_gone(scope: Scope, when: str) -> None:
        scope[CLIENT_GONE] = True
        logger.info("client went away %s; its work was stopped", when)
