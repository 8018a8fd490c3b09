"""The baseline's HTTP API: the gateway's contract for the endpoints the load test uses.

``POST /v1/summaries``, ``POST /v1/images`` (PNG, or JSON when asked) and
``POST /v1/chat-images`` (JSON, or Server-Sent Events ``summary``, ``image``, ``done``,
``error``), plus ``/healthz`` and ``/readyz``. Bodies are read, and errors rendered, by the
gateway's own code, so a client cannot tell the two apart except by how long it waits.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse
from sse_starlette import EventSourceResponse, ServerSentEvent

from gateway.errors import GatewayError, InternalError
from gateway.http.bodies import read_chat, read_json
from gateway.http.errors import error_body, install_error_handlers
from gateway.http.routes.images import PNG, wants_json
from gateway.http.schemas import (
    ChatImageRequest,
    ChatImageResponse,
    HealthResponse,
    ImageResponse,
    ReadyResponse,
    SummaryRequest,
    SummaryResponse,
)
from gateway.service_io import ImageRequest, ImageResult
from loadtest.baseline.models import BaselineModels
from loadtest.baseline.worker import SingleWorker

logger = logging.getLogger(__name__)

EVENT_STREAM = "text/event-stream"
router = APIRouter()


def _worker(request: Request) -> SingleWorker:
    return request.app.state.worker


@router.get("/healthz")
async def healthz() -> HealthResponse:
    """The process is up."""
    return HealthResponse()


@router.get("/readyz")
async def readyz() -> ReadyResponse:
    """Models load before the server starts listening, so listening means ready."""
    return ReadyResponse(models={"summarizer": True, "diffusion": True})


@router.post("/v1/summaries")
async def create_summary(request: Request) -> SummaryResponse:
    """Summarize a chat, after everything queued before it."""
    body = await read_chat(request, SummaryRequest)
    return SummaryResponse.of(await _worker(request).summarize(body.chat))


@router.post("/v1/images")
async def create_image(
    request: Request,
    response_format: Annotated[str | None, Query(alias="format")] = None,
) -> Response:
    """Draw a prompt: PNG, or JSON with ``?format=json`` / ``Accept: application/json``."""
    body = await read_json(request, ImageRequest)
    result = await _worker(request).draw(body)
    if wants_json(request, response_format):
        return JSONResponse(ImageResponse.of(result).model_dump())
    return Response(result.png, media_type=PNG, headers={"X-Seed": str(result.seed)})


@router.post("/v1/chat-images", response_model=None)
async def create_chat_image(request: Request) -> ChatImageResponse | EventSourceResponse:
    """Summarize a chat and draw the summary, as one job of the single worker."""
    body = await read_chat(request, ChatImageRequest)
    summary_ready, image_ready = _worker(request).chat_to_image(body.chat, body.image)
    summary = await summary_ready
    if EVENT_STREAM in request.headers.get("accept", ""):
        first = ServerSentEvent(SummaryResponse.of(summary).model_dump_json(), event="summary")
        return EventSourceResponse(_rest_of_stream(first, image_ready), ping=15)
    return ChatImageResponse(
        summary=SummaryResponse.of(summary), image=ImageResponse.of(await image_ready)
    )


async def _rest_of_stream(
    first: ServerSentEvent, image_ready: asyncio.Future[ImageResult]
) -> AsyncIterator[ServerSentEvent]:
    yield first
    try:
        image = await image_ready
    except GatewayError as error:
        yield ServerSentEvent(error_body(error).model_dump_json(), event="error")
        return
    except Exception:
        logger.exception("the picture failed")
        yield ServerSentEvent(error_body(InternalError()).model_dump_json(), event="error")
        return
    yield ServerSentEvent(ImageResponse.of(image).model_dump_json(), event="image")
    yield ServerSentEvent(json.dumps({"request_id": uuid.uuid4().hex}), event="done")


def create_app(models: BaselineModels, repository: Path) -> FastAPI:
    """The baseline app around loaded models."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.worker = SingleWorker(models, repository)
        yield
        app.state.worker.close()

    app = FastAPI(title="CALL-E baseline (single process)", lifespan=lifespan)
    install_error_handlers(app)
    app.include_router(router)
    return app
