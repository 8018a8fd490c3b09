"""``POST /v1/chat-images``: a chat in, its summary and a picture of it out, streamed or not.

With ``Accept: text/event-stream`` the answer is Server-Sent Events: ``summary`` as soon as the
summary exists, then ``image``, then ``done``; a failure after the summary is an ``error`` event
carrying the error schema. Failures before the summary (bad input, 429, 503...) keep their HTTP
status: the stream opens with the summary, which is when the first event could be sent anyway.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import aclosing

from fastapi import APIRouter, Depends, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from gateway.errors import GatewayError, InternalError
from gateway.http.bodies import read_chat
from gateway.http.dependencies import Service, require_api_key
from gateway.http.errors import error_body
from gateway.http.openapi import ERROR_RESPONSES, chat_body
from gateway.http.schemas import (
    ChatImageRequest,
    ChatImageResponse,
    ImageResponse,
    SummaryResponse,
)
from gateway.request_id import current_request_id
from gateway.service_io import ImageResult, SummaryResult

logger = logging.getLogger(__name__)

router = APIRouter(tags=["chat-images"], dependencies=[Depends(require_api_key)])

EVENT_STREAM = "text/event-stream"
STREAM_DOC = {
    200: {
        "description": "JSON, or with Accept: text/event-stream the events summary, image, done "
        "(error events carry the error schema).",
        "content": {EVENT_STREAM: {}},
    }
}


@router.post(
    "/v1/chat-images",
    response_model=ChatImageResponse,
    responses={**STREAM_DOC, **ERROR_RESPONSES},
    openapi_extra=chat_body(ChatImageRequest, with_image_options=True),
    summary="Summarize a chat and draw the summary",
)
async def create_chat_image(
    request: Request, service: Service
) -> ChatImageResponse | EventSourceResponse:
    """Summarize a chat (same inputs as ``/v1/summaries``) and draw a picture of the summary."""
    body = await read_chat(request, ChatImageRequest)
    events = service.chat_to_image(body.chat, body.image)
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
