"""The ``/v1`` routes' own checks, in one order, before FastAPI reads and validates a body.

FastAPI validates and documents the bodies (pydantic parameters for JSON, a form model with
an ``UploadFile`` for uploads). It reads a body before it resolves dependencies, and it turns
an error raised while reading into a 400; the route classes here run first, in this order:

1. the API key (401, so an unauthenticated caller learns nothing from its body's errors);
2. the media type (415; a multipart body sent to a JSON path is told its upload route);
3. reading the body, where the size limit (413) and the body deadline (408) pass untouched;
4. for JSON, decoding it: unreadable, nested too deeply or holding a lone surrogate escape is
   400 ``invalid_json``. Starlette keeps the decoded body, so FastAPI does not decode it again.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.routing import APIRoute

from gateway.errors import InvalidJsonError, UnsupportedMediaTypeError
from gateway.http.dependencies import check_api_key

JSON = "application/json"
MULTIPART = "multipart/form-data"
# A JSON path's upload sibling: the same path with this suffix.
UPLOAD_SUFFIX = "/upload"

Handler = Callable[[Request], Awaitable[Response]]


def media_type(request: Request) -> str:
    """The request's media type without parameters, lower case."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


class JsonRoute(APIRoute):
    """A ``/v1`` operation whose body is JSON."""

    # Whether a multipart body is told to go to this path + UPLOAD_SUFFIX.
    has_upload_route = False

    def get_route_handler(self) -> Handler:
        """FastAPI's handler, after the key, the media type and the JSON syntax are checked."""
        handler = super().get_route_handler()
        upload_path = self.path + UPLOAD_SUFFIX if self.has_upload_route else None

        async def checked(request: Request) -> Response:
            check_api_key(request)
            kind = media_type(request)
            if kind != JSON:
                raise UnsupportedMediaTypeError(
                    [JSON], upload_path=upload_path if kind == MULTIPART else None
                )
            await decoded_json(request)
            return await handler(request)

        return checked


class ChatJsonRoute(JsonRoute):
    """A JSON chat operation, with an upload sibling for export files."""

    has_upload_route = True


class UploadRoute(APIRoute):
    """A ``/v1`` operation whose body is a multipart upload."""

    def get_route_handler(self) -> Handler:
        """FastAPI's handler, after the key and the media type are checked and the body read."""
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            check_api_key(request)
            if media_type(request) != MULTIPART:
                raise UnsupportedMediaTypeError([MULTIPART])
            await request.body()  # read here, so that 413 and 408 are not made 400
            return await handler(request)

        return checked


async def decoded_json(request: Request) -> object:
    """The request's JSON body (Starlette keeps it for FastAPI's own read).

    Raises:
        InvalidJsonError: Empty, unreadable, nested too deeply, or a lone surrogate escape.
    """
    body = await request.body()
    try:
        decoded = await request.json()
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError alike, empty too
        raise InvalidJsonError() from exc
    except RecursionError as exc:  # nested deeper than the parser's stack
        raise InvalidJsonError(
            "JSON의 중첩이 너무 깊습니다.", "The JSON is nested too deeply."
        ) from exc
    if _has_lone_surrogate(body, decoded):
        raise InvalidJsonError(
            "JSON 문자열에 짝이 없는 서로게이트(\\ud800 등)가 있습니다. "
            "올바른 유니코드로 보내 주세요.",
            "A JSON string holds an unpaired surrogate escape (such as \\ud800), which is not "
            "Unicode text. Send valid Unicode.",
        )
    return decoded


def _has_lone_surrogate(body: bytes, decoded: object) -> bool:
    r"""Whether a ``\uD800``-``\uDFFF`` escape decoded to half a character.

    JSON allows such escapes, Python decodes them to lone surrogates, and every later
    ``encode("utf-8")`` (tokenizer, Triton's BYTES tensors) fails. Raw UTF-8 cannot hold one,
    so only a body with a ``\uD`` escape needs the full check (an encode of the decoded data).
    """
    if b"\\ud" not in body and b"\\uD" not in body:
        return False
    try:
        json.dumps(decoded, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
