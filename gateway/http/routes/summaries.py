"""``POST /v1/summaries``: a chat in, its latest conversation summarized."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from gateway.http.bodies import read_chat
from gateway.http.dependencies import Service, require_api_key
from gateway.http.openapi import ERROR_RESPONSES, chat_body
from gateway.http.schemas import SummaryRequest, SummaryResponse

router = APIRouter(tags=["summaries"], dependencies=[Depends(require_api_key)])


@router.post(
    "/v1/summaries",
    response_model=SummaryResponse,
    responses=ERROR_RESPONSES,
    openapi_extra=chat_body(SummaryRequest, with_image_options=False),
    summary="Summarize a chat",
)
async def create_summary(request: Request, service: Service) -> SummaryResponse:
    """Summarize the latest conversation of a KakaoTalk export or JSON message list.

    Send JSON (``{"chat": "<export text>"}`` or ``{"messages": [...]}``) or upload the export
    as multipart ``file``. The answer says what was summarized: message and speaker counts and
    the time span.
    """
    body = await read_chat(request, SummaryRequest)
    return SummaryResponse.of(await service.summarize(body.chat))
