"""Run the gateway: the HTTP app (uvicorn) and the gRPC server, siblings over one service.

:func:`serve_gateway` builds the Triton backend, the HTTP app (which builds the service) and
the gRPC server on that same service. It owns the service's lifetime itself, so uvicorn runs
the app with its lifespan off: start the service (and Triton's client), start gRPC, serve
HTTP; on the way out both fronts drain at once, and only then does the service close the
backend. Shutdown is graceful either way it is asked for: SIGINT/SIGTERM (uvicorn's handlers)
or cancelling :func:`serve_gateway` (what ``calle demo --once`` does).
"""

from __future__ import annotations

import asyncio
import logging
import math
import socket

import uvicorn

from gateway.grpc.server import GrpcServer
from gateway.http.app import create_app
from gateway.http.protocol import HeaderTimeoutProtocol
from gateway.metrics import GatewayMetrics
from gateway.service import CalleService
from gateway.settings import GatewaySettings
from gateway.triton import TritonBackend

logger = logging.getLogger(__name__)

# Seconds of shutdown beyond the image deadline, for the last events and closing connections.
DRAIN_MARGIN_S = 5
# The exit status of a gateway that could not start (uvicorn's own, for a port in use).
STARTUP_FAILURE = 3


class _HttpServer(uvicorn.Server):
    """uvicorn's server, draining the gRPC front at the same time as its own connections."""

    def __init__(self, config: uvicorn.Config, *, grpc_server: GrpcServer, grace_s: float) -> None:
        super().__init__(config)
        self._grpc_server = grpc_server
        self._grace_s = grace_s

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Drain HTTP connections and gRPC calls together (uvicorn calls this on SIGTERM)."""
        await asyncio.gather(super().shutdown(sockets), self._grpc_server.stop(self._grace_s))


async def serve_gateway(settings: GatewaySettings) -> None:
    """Serve until SIGINT/SIGTERM or until cancelled, then drain and stop.

    Raises:
        SystemExit: The servers could not start (port in use, bad settings).
    """
    metrics = GatewayMetrics()
    app = create_app(
        TritonBackend.from_settings(settings, metrics=metrics), settings, metrics=metrics
    )
    service: CalleService = app.state.service
    try:
        grpc_server = GrpcServer(
            service,
            api_keys=app.state.api_keys,
            metrics=metrics,
            host=settings.http_host,
            port=settings.grpc_port,
            max_request_bytes=settings.max_request_bytes,
        )
    except RuntimeError as exc:  # grpcio's answer to a port it cannot bind
        logger.error("gRPC server: %s", exc)
        raise SystemExit(STARTUP_FAILURE) from exc
    # In-flight requests may take a whole image stage; Kubernetes' grace period allows it.
    grace_s = settings.image_timeout_s
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,  # keep the process's logging (request ids on every line)
        access_log=False,  # the gateway's own access log has ids and route templates
        # Streams get image_timeout_s to finish their image (see the chat-images route); the
        # margin lets them send it before uvicorn cancels what is left.
        timeout_graceful_shutdown=math.ceil(grace_s) + DRAIN_MARGIN_S,
        lifespan="off",  # the service's lifetime is this function's (see the module docstring)
        http=HeaderTimeoutProtocol.with_timeout(settings.header_timeout_s),
    )
    server = _HttpServer(config, grpc_server=grpc_server, grace_s=grace_s)
    await service.start()
    try:
        await grpc_server.start()
        logger.info(
            "gateway on http://%s:%d, gRPC on %s",
            settings.http_host,
            settings.http_port,
            grpc_server.address,
        )
        serving = asyncio.ensure_future(server.serve())
        try:
            await asyncio.shield(serving)
        except asyncio.CancelledError:
            server.should_exit = True
            await serving
            raise
    finally:
        # Already drained when uvicorn shut down; this covers a start that failed half-way.
        await grpc_server.stop(0)
        await service.close()
        logger.info("gateway stopped")
