"""The FastAPI app: routers, error handlers, middleware, and the process's lifespan.

The lifespan creates one ``tritonclient.grpc.aio`` client, the service layer on top of it, and
the gRPC server that shares them; it stores them on ``app.state`` and closes them on shutdown
(gRPC drains first, then the client closes).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from tritonclient.grpc.aio import InferenceServerClient

from gateway.admission import ConcurrencyLimit
from gateway.auth import ApiKeys
from gateway.cpu_pool import CpuPool
from gateway.dialogue import SourceTokenizer
from gateway.grpc.server import GrpcServer
from gateway.http.cors import ErrorSchemaCORSMiddleware
from gateway.http.errors import install_error_handlers
from gateway.http.middleware import (
    BodySizeLimitMiddleware,
    ClientGoneMiddleware,
    RequestIdMiddleware,
    RequestMetricsMiddleware,
)
from gateway.http.openapi import install_openapi
from gateway.http.routes import chat_images, health, images, summaries, web
from gateway.http.schemas import ChatImageRequest, ImageResponse, SummaryRequest
from gateway.metrics import GatewayMetrics
from gateway.request_id import HEADER
from gateway.service import CalleService
from gateway.service_io import ImageRequest
from gateway.settings import GatewaySettings
from gateway.triton_health import TritonReadiness, channel_args
from gateway.triton_models import TritonModels

logger = logging.getLogger(__name__)

DESCRIPTION = """KakaoTalk group chat → KoBART summary → picture, served by Triton.

Errors share one schema: `{"error": {"code", "status", "message_ko", "message_en",
"request_id", "details"}}`. Every response carries `X-Request-ID`. When API keys are on, `/v1`
calls need `Authorization: Bearer <key>` or `X-API-Key: <key>`.
"""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Build the Triton client, service layer and gRPC server; tear them down in reverse."""
    settings: GatewaySettings = app.state.settings
    # The summarizer's exported tokenizer: chats are trimmed to its budget here.
    tokenizer = SourceTokenizer(settings.summarizer_tokenizer)
    app.state.source_tokenizer = tokenizer
    client = InferenceServerClient(settings.triton.grpc_url, channel_args=channel_args())
    readiness = TritonReadiness(
        client,
        interval_s=settings.triton_probe_interval_s,
        timeout_s=settings.triton_probe_timeout_s,
    )
    models = TritonModels(client, metrics=app.state.metrics, readiness=readiness)
    cpu_pool = CpuPool(settings.ingest_workers, inline_below_bytes=settings.ingest_inline_bytes)
    service = CalleService(
        models,
        tokenizer=tokenizer,
        limit=ConcurrencyLimit(settings.max_concurrency, in_flight=app.state.metrics.in_flight),
        metrics=app.state.metrics,
        summary_timeout_s=settings.summary_timeout_s,
        image_timeout_s=settings.image_timeout_s,
        burst_gap=settings.burst_gap,
        min_messages=settings.min_dialogue_messages,
        min_speakers=settings.min_dialogue_speakers,
        cpu_pool=cpu_pool,
    )
    grpc_server = GrpcServer(
        service,
        api_keys=app.state.api_keys,
        metrics=app.state.metrics,
        host=settings.http_host,
        port=settings.grpc_port,
        max_request_bytes=settings.max_request_bytes,
    )
    app.state.triton_client, app.state.models, app.state.service = client, models, service
    await readiness.start()
    await grpc_server.start()
    logger.info("gRPC on %s, Triton at %s", grpc_server.address, settings.triton.grpc_url)
    try:
        yield
    finally:
        # In-flight requests may take a whole image stage; Kubernetes' grace period allows it.
        await grpc_server.stop(settings.image_timeout_s)
        await readiness.stop()
        cpu_pool.close()
        await client.close()
        logger.info("gateway stopped")


def create_app(settings: GatewaySettings) -> FastAPI:
    """The HTTP app for ``settings`` (the gRPC server starts with it, in its lifespan)."""
    app = FastAPI(
        title="CALL-E gateway",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # web.docs serves Swagger UI's files itself (no CDN)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.metrics = GatewayMetrics()
    app.state.api_keys = ApiKeys(settings.api_key_set)
    for router in (summaries.router, images.router, chat_images.router, health.router):
        app.include_router(router)
    app.include_router(web.router)
    app.mount(web.STATIC_PATH, web.page_files(), name="static")
    app.mount(web.DOCS_ASSETS_PATH, web.docs_assets(), name="docs-assets")
    install_error_handlers(app)
    install_openapi(app, [SummaryRequest, ChatImageRequest, ImageRequest, ImageResponse])
    # Added innermost first: requests pass CORS, then ids, then metrics, then the client-gone
    # watch (with the body deadline), then the size limit.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_request_bytes)
    app.add_middleware(ClientGoneMiddleware, body_timeout_s=settings.body_timeout_s)
    app.add_middleware(RequestMetricsMiddleware, metrics=app.state.metrics)
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
