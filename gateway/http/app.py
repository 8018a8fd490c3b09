"""The FastAPI app: routers, error handlers, middleware, and the service's lifetime.

:func:`create_app` serves any :class:`gateway.backend.Backend` (Triton when served, the
baseline and the in-process engines in the load test, a fake in the contract tests). Its
lifespan starts the service (and with it the backend) and closes it on shutdown; the gRPC
front is not part of it (:mod:`gateway.server` runs both fronts over one service).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from gateway.auth import ApiKeys
from gateway.backend import Backend
from gateway.http.cors import ErrorSchemaCORSMiddleware
from gateway.http.errors import install_error_handlers
from gateway.http.middleware import (
    BodySizeLimitMiddleware,
    ClientGoneMiddleware,
    RequestIdMiddleware,
    RequestMetricsMiddleware,
)
from gateway.http.routes import chat_images, health, images, summaries, web
from gateway.metrics import GatewayMetrics
from gateway.request_id import HEADER
from gateway.service import CalleService
from gateway.settings import GatewaySettings

logger = logging.getLogger(__name__)

DESCRIPTION = """KakaoTalk group chat → KoBART summary → picture, served by Triton.

Errors share one schema: `{"error": {"code", "status", "message_ko", "message_en",
"request_id", "details"}}`. Every response carries `X-Request-ID`. When API keys are on, `/v1`
calls need `Authorization: Bearer <key>` or `X-API-Key: <key>`.
"""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the service before the first request; close it after the last."""
    service: CalleService = app.state.service
    await service.start()
    try:
        yield
    finally:
        await service.close()
        logger.info("HTTP app stopped")


def create_app(
    backend: Backend, settings: GatewaySettings, *, metrics: GatewayMetrics | None = None
) -> FastAPI:
    """The HTTP API over ``backend``, standalone: its lifespan starts and closes the service.

    Args:
        backend: What runs the models; the app's service owns it from now on.
        settings: The gateway's settings (limits, deadlines, keys, CORS, tokenizer).
        metrics: The process's metrics, when something else (the backend, the gRPC server)
            records into them too; a fresh set otherwise.

    ``app.state`` holds ``settings``, ``metrics``, ``api_keys`` and ``service`` (the one the
    gRPC front shares when :mod:`gateway.server` serves both).
    """
    app = FastAPI(
        title="CALL-E gateway",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # web.docs serves Swagger UI's files itself (no CDN)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.metrics = metrics = metrics if metrics is not None else GatewayMetrics()
    app.state.api_keys = ApiKeys(settings.api_key_set)
    app.state.service = service = CalleService.from_settings(backend, settings, metrics=metrics)
    for router in (
        summaries.router,
        summaries.upload_router,
        images.router(service.image_sizes),
        *chat_images.routers(service.image_sizes),
        health.router,
    ):
        app.include_router(router)
    app.include_router(web.router)
    app.mount(web.STATIC_PATH, web.page_files(), name="static")
    app.mount(web.DOCS_ASSETS_PATH, web.docs_assets(), name="docs-assets")
    install_error_handlers(app)
    # Added innermost first: requests pass CORS, then ids, then metrics, then the client-gone
    # watch (with the body deadline), then the size limit.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_request_bytes)
    app.add_middleware(ClientGoneMiddleware, body_timeout_s=settings.body_timeout_s)
    app.add_middleware(RequestMetricsMiddleware, metrics=metrics)
    app.add_middleware(RequestIdMiddleware)
    if settings.cors_origin_list:
        app.add_middleware(
            ErrorSchemaCORSMiddleware,
            allow_origins=settings.cors_origin_list,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-API-Key", HEADER],
            expose_headers=[HEADER, "Retry-After", "X-Seed"],
        )
    return app
