"""Run the gateway: HTTP (uvicorn) and gRPC together in one process.

The gRPC server lives in the app's lifespan, so one uvicorn server runs both. Shutdown is
graceful either way it is asked for: SIGINT/SIGTERM (uvicorn's handlers) or cancelling
:func:`serve_gateway` (what ``calle demo --once`` does).
"""

from __future__ import annotations

import asyncio
import logging
import math

import uvicorn

from gateway.http.app import create_app
from gateway.http.protocol import HeaderTimeoutProtocol
from gateway.settings import GatewaySettings

logger = logging.getLogger(__name__)

# Seconds of shutdown beyond the image deadline, for the last events and closing connections.
DRAIN_MARGIN_S = 5


async def serve_gateway(settings: GatewaySettings) -> None:
    """Serve until SIGINT/SIGTERM or until cancelled, then drain and stop.

    Raises:
        SystemExit: The servers could not start (port in use, bad settings).
    """
    config = uvicorn.Config(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,  # keep the process's logging (request ids on every line)
        access_log=False,  # the gateway's own access log has ids and route templates
        # Streams get image_timeout_s to finish their image (see the chat-images route); the
        # margin lets them send it before uvicorn cancels what is left.
        timeout_graceful_shutdown=math.ceil(settings.image_timeout_s) + DRAIN_MARGIN_S,
        lifespan="on",
        http=HeaderTimeoutProtocol.with_timeout(settings.header_timeout_s),
    )
    server = uvicorn.Server(config)
    logger.info(
        "gateway on http://%s:%d (gRPC port %d)",
        settings.http_host,
        settings.http_port,
        settings.grpc_port,
    )
    serving = asyncio.ensure_future(server.serve())
    try:
        await asyncio.shield(serving)
    except asyncio.CancelledError:
        server.should_exit = True
        await serving
        raise
