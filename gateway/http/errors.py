"""Gateway errors as HTTP responses (each error class carries its status): the one schema.

Every error a client sees (domain errors, FastAPI's validation errors, unknown routes, bugs) is
rendered by :func:`error_response` as ``{"error": {code, status, message_ko, message_en,
request_id, details}}``; the streaming endpoint sends the same object in its ``error`` events.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.errors import (
    BadRequestError,
    BodyTimeoutError,
    GatewayError,
    InternalError,
    InvalidJsonError,
    MethodNotAllowedError,
    NotFoundError,
    UnauthorizedError,
    from_validation_errors,
)
from gateway.request_id import current_request_id

logger = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    """What went wrong, for people (Korean and English) and for programs (code, status)."""

    code: str = Field(description="Stable error code, e.g. 'invalid_chat', 'gateway_busy'.")
    status: int = Field(description="The HTTP status this error is answered with.")
    message_ko: str = Field(description="What went wrong and what to do, in Korean.")
    message_en: str = Field(description="The same in English.")
    request_id: str = Field(description="Quote it when reporting a problem.")
    details: list[dict[str, Any]] | None = Field(
        None, description="Field errors (loc, msg, type) or other specifics."
    )


class ErrorResponse(BaseModel):
    """The body of every error response, and the data of SSE ``error`` events."""

    error: ErrorDetail


def error_body(error: GatewayError) -> ErrorResponse:
    """The error schema for ``error``, stamped with the current request id."""
    return ErrorResponse(
        error=ErrorDetail(
            code=error.code,
            status=error.http_status,
            message_ko=error.message_ko,
            message_en=error.message_en,
            request_id=current_request_id.get(),
            details=error.details,
        )
    )


def error_response(
    error: GatewayError, extra_headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """``error`` as a JSON response with its status and advisory headers (and ``extra``)."""
    headers = {}
    if error.retry_after_s is not None:
        headers["Retry-After"] = str(error.retry_after_s)
    if isinstance(error, UnauthorizedError):
        headers["WWW-Authenticate"] = 'Bearer realm="calle"'
    if isinstance(error, BodyTimeoutError):
        headers["Connection"] = "close"  # the rest of the body is not worth waiting for
    headers.update(extra_headers or {})
    body = error_body(error)
    return JSONResponse(body.model_dump(), status_code=body.error.status, headers=headers)


def error_for_status(status: int) -> GatewayError:
    """The domain error for a status Starlette raised itself (unknown route, unreadable form)."""
    if status == 404:
        return NotFoundError()
    if status == 405:
        return MethodNotAllowedError()
    return BadRequestError() if 400 <= status < 500 else InternalError()


async def _gateway_error(_request: Request, error: GatewayError) -> JSONResponse:
    if error.http_status >= 500:
        logger.warning("answered %s: %s", error.code, error.message_en)
    return error_response(error)


async def _validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
    problems = error.errors()
    if any(problem.get("type") == "json_invalid" for problem in problems):
        return error_response(InvalidJsonError())
    return error_response(from_validation_errors(problems))


async def _http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
    # Starlette's own headers (``Allow`` on a 405) are kept.
    return error_response(error_for_status(error.status_code), error.headers)


def install_error_handlers(app: FastAPI) -> None:
    """Render every handled exception in the error schema (unexpected ones: see middleware)."""
    app.add_exception_handler(GatewayError, _gateway_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
