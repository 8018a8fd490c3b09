"""Protobuf messages to the service layer's types and back.

Picture settings are validated through the same models as the HTTP API's bodies
(:meth:`gateway.image_sizes.ImageSizes.bounded` of :class:`gateway.service_io.ImageOptions`), so
both front ends accept exactly the same ranges and sizes.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

from gateway.errors import ValidationFailedError, from_validation_errors
from gateway.grpc.generated import calle_pb2
from gateway.service_io import (
    ChatInput,
    ChatMessage,
    ImageOptions,
    ImageRequest,
    ImageResult,
    SummaryResult,
    chat_of_messages,
    validated,
)

_MESSAGES = TypeAdapter(list[ChatMessage])


def chat_input(chat: calle_pb2.Chat) -> ChatInput:
    """The chat of a request (an export's bytes, or messages)."""
    source = chat.WhichOneof("source")
    if source == "export":
        return ChatInput(chat.export)
    if source == "messages":
        messages = [
            {"speaker": m.speaker, "text": m.text, "time": m.time or None}
            for m in chat.messages.messages
        ]
        try:  # the HTTP API's message model: same speaker and text rules
            return chat_of_messages(_MESSAGES.validate_python(messages))
        except ValidationError as exc:
            raise from_validation_errors(exc.errors(), ("chat", "messages")) from exc
    raise ValidationFailedError(
        "chat에 export(내보내기 파일) 또는 messages를 넣어 주세요.",
        "Set chat.export (an export file) or chat.messages.",
        details=[{"loc": ["chat"], "msg": "Field required", "type": "missing"}],
    )


def image_options(options: calle_pb2.ImageOptions, model: type[ImageOptions]) -> ImageOptions:
    """Picture settings validated as ``model`` (unset fields stay unset)."""
    return validated(model, _set_fields(options))


def image_request(
    request: calle_pb2.GenerateImageRequest, model: type[ImageRequest]
) -> ImageRequest:
    """A prompt with its picture settings, validated as ``model``."""
    return validated(model, {"prompt": request.prompt, **_set_fields(request.options)})


def summary_message(result: SummaryResult) -> calle_pb2.Summary:
    """A summary as its message."""
    return calle_pb2.Summary(
        summary=result.summary,
        message_count=result.message_count,
        speaker_count=result.speaker_count,
        start=result.start.isoformat() if result.start else "",
        end=result.end.isoformat() if result.end else "",
        chat_format=result.chat_format,
    )


def image_message(result: ImageResult) -> calle_pb2.Image:
    """A picture as its message."""
    return calle_pb2.Image(png=result.png, seed=result.seed)


def event_message(item: SummaryResult | ImageResult) -> calle_pb2.ChatToImageEvent:
    """A ``ChatToImage`` stream message."""
    if isinstance(item, SummaryResult):
        return calle_pb2.ChatToImageEvent(summary=summary_message(item))
    return calle_pb2.ChatToImageEvent(image=image_message(item))


def _set_fields(options: calle_pb2.ImageOptions) -> dict[str, Any]:
    return {
        field.name: getattr(options, field.name)
        for field in options.DESCRIPTOR.fields
        if options.HasField(field.name)
    }
