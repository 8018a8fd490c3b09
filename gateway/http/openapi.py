"""The error responses every ``/v1`` operation documents (bodies document themselves)."""

from __future__ import annotations

from typing import Any

from gateway.http.errors import ErrorResponse

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
