"""What routes get injected: the service layer, its backend, the API key check."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from gateway.backend import Backend
from gateway.service import CalleService

# Declared for the OpenAPI page (its "Authorize" button); the check reads the raw headers.
_bearer = HTTPBearer(auto_error=False, description="API key as 'Authorization: Bearer <key>'.")
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key.")


def get_service(request: Request) -> CalleService:
    """The app's service layer (built by :func:`gateway.http.app.create_app`)."""
    return request.app.state.service


def get_backend(request: Request) -> Backend:
    """What the app's service runs the models on."""
    return get_service(request).backend


def check_api_key(request: Request) -> None:
    """Let the call through when keys are off or it carries a configured key (else 401).

    The ``/v1`` route classes (:mod:`gateway.http.routing`) call it before the body is read.
    """
    headers = request.headers
    request.app.state.api_keys.check(headers.get("authorization"), headers.get("x-api-key"))


async def require_api_key(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    _api_key: Annotated[str | None, Security(_api_key_header)],
) -> None:
    """:func:`check_api_key` as a dependency, which also declares the keys in OpenAPI."""
    check_api_key(request)


Service = Annotated[CalleService, Depends(get_service)]
ModelBackend = Annotated[Backend, Depends(get_backend)]
