"""OpenAPI pieces for bodies read by hand (:mod:`gateway.http.bodies`).

FastAPI documents only the bodies it parses itself, so the ``/v1`` operations declare theirs
with ``openapi_extra`` and :func:`install_openapi` adds the referenced schemas to the document.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from gateway.http.bodies import JSON, MULTIPART, UPLOAD_FIELD
from gateway.http.errors import ErrorResponse

REF = "#/components/schemas/{model}"

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in {
        400: "Unreadable input: not a KakaoTalk export, invalid JSON.",
        401: "API keys are on and the call has none (or an unknown one).",
        413: "Body larger than CALLE_MAX_REQUEST_BYTES.",
        415: "Unsupported Content-Type.",
        422: "Fields missing or out of range, or nothing to summarize.",
        429: "Gateway concurrency limit reached or model queue full; see Retry-After.",
        502: "A model failed for a reason that is not the request's.",
        503: "Triton unreachable or a model not ready.",
        504: "A stage missed its deadline.",
    }.items()
}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` for an operation that reads ``model`` as JSON."""
    return {"requestBody": {"required": True, "content": {JSON: {"schema": _ref(model)}}}}


def chat_body(model: type[BaseModel], with_image_options: bool) -> dict[str, Any]:
    """``openapi_extra`` for a chat operation: ``model`` as JSON, or a multipart upload."""
    upload: dict[str, Any] = {
        "type": "object",
        "required": [UPLOAD_FIELD],
        "properties": {
            UPLOAD_FIELD: {
                "type": "string",
                "format": "binary",
                "description": "A KakaoTalk export file (.txt or .csv) or a JSON message list.",
            }
        },
    }
    if with_image_options:
        upload["description"] = "Picture settings (ImageOptions fields) may follow as fields."
    return {
        "requestBody": {
            "required": True,
            "content": {JSON: {"schema": _ref(model)}, MULTIPART: {"schema": upload}},
        }
    }


def install_openapi(app: FastAPI, body_models: list[type[BaseModel]]) -> None:
    """Generate the OpenAPI document once, with ``body_models`` among its schemas."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            _, definitions = models_json_schema(
                [(model, "validation") for model in body_models], ref_template=REF
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(definitions.get("$defs", {}))
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
