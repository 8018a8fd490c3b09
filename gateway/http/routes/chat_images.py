"""``POST /v1/chat-images`` and ``/v1/chat-images/upload``: a chat in, summary and picture out.

The JSON route takes pasted text or messages, the upload route an export file.

With ``Accept: text/event-stream`` the answer is Server-Sent Events: ``summary`` as soon as the
summary exists, then ``image``, then ``done``; a failure after the summary is an ``error`` event
carrying the error schema. Failures before the summary (bad input, 429, 503...) keep their HTTP
status: the stream opens with the summary, which is when the first event could be sent anyway.

The bodies' sizes are those the served export takes, so the routers are built per app
(:func:`routers`); the endpoints' annotations name classes made at run time, so this module does
not postpone annotations.
"""

import json
import logging
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from gateway.errors import GatewayError, InternalError
from gateway.http.dependencies import Service, require_api_key
from gateway.http.errors import error_body
from gateway.http.openapi import ERROR_RESPONSES
from gateway.http.routing import MULTIPART, UPLOAD_SUFFIX, ChatJsonRoute, UploadRoute
from gateway.http.schemas import (
    ChatImageResponse,
    ImageResponse,
    SummaryResponse,
    chat_image_bodies,
)
from gateway.image_sizes import ImageSizes
from gateway.request_id import current_request_id
from gateway.service import CalleService
from gateway.service_io import ChatInput, ImageOptions, ImageResult, SummaryResult

logger = logging.getLogger(__name__)

PATH = "/v1/chat-images"
EVENT_STREAM = "text/event-stream"
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "JSON, or with Accept: text/event-stream the events summary, image, done "
        "(error events carry the error schema).",
        "content": {EVENT_STREAM: {}},
    },
    **ERROR_RESPONSES,
}


def routers(sizes: ImageSizes) -> tuple[APIRouter, APIRouter]:
    """The JSON route and the upload route, taking the picture sizes in ``sizes``."""
    json_body, upload_body = chat_image_bodies(sizes)
    router = APIRouter(
        tags=["chat-images"], dependencies=[Depends(require_api_key)], route_class=ChatJsonRoute
    )
    upload_router = APIRouter(
        tags=["chat-images"], dependencies=[Depends(require_api_key)], route_class=UploadRoute
    )

    @router.post(
        PATH,
        response_model=ChatImageResponse,
        responses=RESPONSES,
        summary="Summarize a chat and draw the summary",
    )
    async def create_chat_image(
        body: json_body,  # type: ignore[valid-type]
        request: Request,
        service: Service,
    ) -> ChatImageResponse | EventSourceResponse:
        """Summarize a chat (same inputs as ``/v1/summaries``) and draw a picture of the summary."""
        return await _answer(request, service, body.chat_input(), body.image)

    @upload_router.post(
        PATH + UPLOAD_SUFFIX,
        response_model=ChatImageResponse,
        responses=RESPONSES,
        summary="Summarize an uploaded export and draw the summary",
    )
    async def upload_chat_image(
        upload: Annotated[upload_body, Form(media_type=MULTIPART)],  # type: ignore[valid-type]
        request: Request,
        service: Service,
    ) -> ChatImageResponse | EventSourceResponse:
        """Like ``/v1/chat-images``, for an export sent as multipart ``file``.

        Picture settings (the ``image`` fields of the JSON route) go in further form fields.
        """
        return await _answer(request, service, await upload.chat_input(), upload.image_options())

    return router, upload_router


async def _answer(
    request: Request, service: CalleService, chat: ChatInput, options: ImageOptions
) -> ChatImageResponse | EventSourceResponse:
    events = service.chat_to_image(chat, options)
    if EVENT_STREAM in request.headers.get("accept", ""):
        summary = await anext(events)
        # A stream in flight when the gateway is asked to stop finishes its image (which has a
        # deadline of image_timeout_s) instead of being cut, sse-starlette's default.
        grace_s = request.app.state.settings.image_timeout_s
        return EventSourceResponse(_stream(summary, events), ping=15, shutdown_grace_period=grace_s)
    async with aclosing(events):
        results = {type(item): item async for item in events}
    return ChatImageResponse(
        summary=SummaryResponse.of(results[SummaryResult]),  # type: ignore[arg-type]
        image=ImageResponse.of(results[ImageResult]),  # type: ignore[arg-type]
    )


async def _stream(
    summary: SummaryResult | ImageResult, events: AsyncIterator[SummaryResult | ImageResult]
) -> AsyncIterator[ServerSentEvent]:
    async with aclosing(events):  # type: ignore[type-var]
        yield _event(summary)
        try:
            async for item in events:
                yield _event(item)
        except GatewayError as error:
            yield ServerSentEvent(error_body(error).model_dump_json(), event="error")
            return
        except Exception:
            logger.exception("unhandled error while streaming")
            yield ServerSentEvent(error_body(InternalError()).model_dump_json(), event="error")
            return
        yield ServerSentEvent(json.dumps({"request_id": current_request_id.get()}), event="done")


def _event(item: SummaryResult | ImageResult) -> ServerSentEvent:
    if isinstance(item, SummaryResult):
        return ServerSentEvent(SummaryResponse.of(item).model_dump_json(), event="summary")
    return ServerSentEvent(ImageResponse.of(item).model_dump_json(), event="image")
