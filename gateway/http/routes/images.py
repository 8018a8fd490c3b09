"""``POST /v1/images``: a prompt in, a PNG out.

The body's sizes are those the served export takes, so the router is built per app
(:func:`router`). The endpoint's annotations name a class made at run time, so this module does
not postpone annotations (FastAPI resolves string annotations in the module's globals).
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from gateway.http.dependencies import Service, require_api_key
from gateway.http.openapi import ERROR_RESPONSES
from gateway.http.routing import JSON, JsonRoute
from gateway.http.schemas import ImageResponse
from gateway.image_sizes import ImageSizes
from gateway.service_io import ImageRequest

PNG = "image/png"
SUCCESS: dict[int | str, dict[str, Any]] = {
    200: {
        "model": ImageResponse,
        "description": "The picture: PNG, or JSON with base64 when asked for JSON.",
        "content": {PNG: {}},
        "headers": {"X-Seed": {"description": "The seed used.", "schema": {"type": "integer"}}},
    }
}


def wants_json(request: Request, response_format: str | None) -> bool:
    """``?format=`` decides; without it, an ``Accept`` that names JSON does."""
    if response_format is not None:
        return response_format == "json"
    return JSON in request.headers.get("accept", "")


def router(sizes: ImageSizes) -> APIRouter:
    """The route, taking the picture sizes in ``sizes``."""
    images = APIRouter(
        tags=["images"], dependencies=[Depends(require_api_key)], route_class=JsonRoute
    )
    body_model = sizes.bounded(ImageRequest)

    @images.post(
        "/v1/images",
        response_class=Response,
        responses={**SUCCESS, **ERROR_RESPONSES},
        summary="Draw a picture from a prompt",
    )
    async def create_image(
        body: body_model,  # type: ignore[valid-type]
        request: Request,
        service: Service,
        response_format: Annotated[
            Literal["png", "json"] | None,
            Query(alias="format", description="png (default) or json (base64)."),
        ] = None,
    ) -> Response:
        """Draw ``prompt`` with optional seed, steps, guidance scale, size and negative prompt.

        Answers ``image/png`` (the seed in ``X-Seed``), or JSON with the PNG in base64 when asked
        with ``?format=json`` or ``Accept: application/json``.
        """
        result = await service.generate_image(body)
        if wants_json(request, response_format):
            return JSONResponse(ImageResponse.of(result).model_dump())
        return Response(result.png, media_type=PNG, headers={"X-Seed": str(result.seed)})

    return images
