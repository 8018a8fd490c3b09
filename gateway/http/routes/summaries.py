"""``POST /v1/summaries`` (JSON) and ``POST /v1/summaries/upload`` (an export file)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form

from gateway.http.dependencies import Service, require_api_key
from gateway.http.openapi import ERROR_RESPONSES
from gateway.http.routing import MULTIPART, UPLOAD_SUFFIX, ChatJsonRoute, UploadRoute
from gateway.http.schemas import ChatUpload, SummaryRequest, SummaryResponse

PATH = "/v1/summaries"

router = APIRouter(
    tags=["summaries"], dependencies=[Depends(require_api_key)], route_class=ChatJsonRoute
)
upload_router = APIRouter(
    tags=["summaries"], dependencies=[Depends(require_api_key)], route_class=UploadRoute
)


@router.post(
    PATH, response_model=SummaryResponse, responses=ERROR_RESPONSES, summary="Summarize a chat"
)
async def create_summary(body: SummaryRequest, service: Service) -> SummaryResponse:
    """Summarize the latest conversation of a pasted export or a JSON message list.

    Send ``{"chat": "<export text>"}`` or ``{"messages": [...]}``; upload an export file to
    ``/v1/summaries/upload``. The answer says what was summarized: message and speaker counts
    and the time span.
    """
    return SummaryResponse.of(await service.summarize(body.chat_input()))


@upload_router.post(
    PATH + UPLOAD_SUFFIX,
    response_model=SummaryResponse,
    responses=ERROR_RESPONSES,
    summary="Summarize an uploaded export",
)
async def upload_summary(
    upload: Annotated[ChatUpload, Form(media_type=MULTIPART)], service: Service
) -> SummaryResponse:
    """Summarize the latest conversation of a KakaoTalk export sent as multipart ``file``."""
    return SummaryResponse.of(await service.summarize(await upload.chat_input()))
