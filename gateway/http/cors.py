"""Starlette's CORS middleware: preflights carry a request id, refusals are in the schema."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from gateway.errors import CorsRefusedError
from gateway.http.errors import error_response
from gateway.request_id import HEADER, current_request_id, request_id_from


class ErrorSchemaCORSMiddleware(CORSMiddleware):
    """CORSMiddleware whose preflights answer with ``X-Request-ID`` like every other response.

    CORS is the outermost middleware (so that every answer, a 500 included, carries its
    headers), and Starlette answers preflights there, before the request-id middleware runs:
    so the preflight takes its id here. A refused preflight is a 400 in the gateway's error
    schema instead of Starlette's plain-text ``Disallowed CORS <what>``; the decision and the
    CORS headers stay Starlette's, only the body changes.
    """

    def preflight_response(self, request_headers: Headers) -> Response:
        """Starlette's preflight answer with the request id; a refusal re-rendered as the schema."""
        request_id = request_id_from(request_headers.get(HEADER))
        response = super().preflight_response(request_headers)
        if response.status_code == 400:
            refused = bytes(response.body).decode("utf-8", errors="replace")
            refused = refused.removeprefix("Disallowed CORS ")
            cors_headers = {
                key: value
                for key, value in response.headers.items()
                if key.lower().startswith("access-control-") or key.lower() == "vary"
            }
            token = current_request_id.set(request_id)
            try:
                response = error_response(CorsRefusedError(refused), cors_headers)
            finally:
                current_request_id.reset(token)
        response.headers[HEADER] = request_id
        return response
