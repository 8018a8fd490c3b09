"""Starlette's CORS middleware, with refused preflights answered in the error schema."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from gateway.errors import CorsRefusedError
from gateway.http.errors import error_response


class ErrorSchemaCORSMiddleware(CORSMiddleware):
    """CORSMiddleware whose refused preflights are 400s in the gateway's error schema.

    Starlette answers them with a plain-text ``Disallowed CORS <what>``; the decision and the
    CORS headers stay Starlette's, only the body changes.
    """

    def preflight_response(self, request_headers: Headers) -> Response:
        """Starlette's preflight answer; a refusal re-rendered as the error schema."""
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        refused = bytes(response.body).decode("utf-8", errors="replace")
        refused = refused.removeprefix("Disallowed CORS ")
        cors_headers = {
            key: value
            for key, value in response.headers.items()
            if key.lower().startswith("access-control-") or key.lower() == "vary"
        }
        return error_response(CorsRefusedError(refused), cors_headers)
