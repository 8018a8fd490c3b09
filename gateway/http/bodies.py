"""Reading request bodies by hand, so every failure maps to the right status.

The chat endpoints take JSON or a multipart upload on the same path, which FastAPI's body
parameters cannot express. Reading every ``/v1`` body here also gives one order of checks (API
key, content type, then the body's size, syntax and fields) and lets the size limit's error
pass through untouched, where FastAPI would turn an error raised while it reads a body into a
400. (A body whose declared length is over the limit never gets this far.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from fastapi import Request
from starlette.datastructures import UploadFile

from gateway.errors import InvalidJsonError, UnsupportedMediaTypeError, ValidationFailedError
from gateway.http.schemas import SummaryRequest
from gateway.service_io import ChatInput, ImageOptions, Model, validated

JSON = "application/json"
MULTIPART = "multipart/form-data"
UPLOAD_FIELD = "file"
BODY = ("body",)


@dataclass(frozen=True)
class ChatBody:
    """A chat endpoint's input: the chat, and picture settings (defaults when not sent)."""

    chat: ChatInput
    image: ImageOptions


def media_type(request: Request) -> str:
    """The request's media type without parameters, lower case."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_json(request: Request, model: type[Model]) -> Model:
    """The JSON body validated as ``model``.

    Raises:
        UnsupportedMediaTypeError: The body is not ``application/json``.
        InvalidJsonError: It does not parse (400).
        ValidationFailedError: It parses but does not fit ``model`` (422).
    """
    if media_type(request) != JSON:
        raise UnsupportedMediaTypeError([JSON])
    return validated(model, await _decoded_json(request), BODY)


async def read_chat(request: Request, model: type[SummaryRequest]) -> ChatBody:
    """A chat sent as JSON (``model``) or as a multipart upload in the ``file`` field.

    Multipart uploads may carry the picture settings as further form fields.

    Raises:
        UnsupportedMediaTypeError: Neither JSON nor multipart.
        InvalidJsonError: JSON that does not parse.
        ValidationFailedError: Missing upload, or fields out of range.
    """
    kind = media_type(request)
    if kind == JSON:
        body = validated(model, await _decoded_json(request), BODY)
        return ChatBody(body.chat_input(), body.image_options())
    if kind != MULTIPART:
        raise UnsupportedMediaTypeError([JSON, MULTIPART])
    async with request.form(max_files=1, max_fields=16) as form:
        upload = form.get(UPLOAD_FIELD)
        if not isinstance(upload, UploadFile):
            raise ValidationFailedError(
                "업로드할 파일을 'file' 필드로 보내 주세요.",
                "Send the export file in the 'file' form field.",
                details=[
                    {"loc": ["body", UPLOAD_FIELD], "msg": "Field required", "type": "missing"}
                ],
            )
        data = await upload.read()
        settings = {key: value for key, value in form.items() if key != UPLOAD_FIELD}
    return ChatBody(ChatInput(data), validated(ImageOptions, settings, BODY))


async def _decoded_json(request: Request) -> object:
    body = await request.body()
    try:
        decoded = json.loads(body)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError alike
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
