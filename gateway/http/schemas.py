"""Request and response bodies of the HTTP API (the error schema lives in ``errors``)."""

from __future__ import annotations

import base64
import dataclasses
from datetime import datetime
from typing import Any, Literal

from fastapi import UploadFile
from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from gateway.image_sizes import ImageSizes
from gateway.service_io import (
    ChatInput,
    ChatMessage,
    ImageOptions,
    ImageResult,
    SummaryResult,
    chat_of_messages,
)


def _exactly_one_source(schema: dict[str, Any]) -> None:
    """The JSON schema of what the validator accepts: one of the two, neither ``null``."""
    properties = schema["properties"]
    for name in ("chat", "messages"):
        # pydantic writes "anyOf: [<type>, null]" for the optional fields: keep the type.
        variants = properties[name].pop("anyOf")
        properties[name].update(next(v for v in variants if v.get("type") != "null"))
        properties[name].pop("default", None)
    schema["oneOf"] = [{"required": ["chat"]}, {"required": ["messages"]}]


class SummaryRequest(BaseModel):
    """A chat to summarize: an export's text or a message list (exactly one)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_exactly_one_source)

    chat: str | None = Field(
        None, min_length=1, description="The text of a KakaoTalk export, in any supported format."
    )
    messages: list[ChatMessage] | None = Field(None, description="The messages, oldest first.")

    @model_validator(mode="after")
    def _one_source(self) -> SummaryRequest:
        sent = {"chat", "messages"} & self.model_fields_set
        if len(sent) != 1 or getattr(self, sent.pop()) is None:
            raise ValueError("send exactly one of 'chat' (a string) or 'messages' (a list)")
        return self

    def chat_input(self) -> ChatInput:
        """The chat for the service layer."""
        if self.chat is not None:
            return ChatInput(self.chat)
        return chat_of_messages(self.messages or [])


class ChatImageRequest(SummaryRequest):
    """A chat to summarize and draw, with optional settings for the picture."""

    image: ImageOptions = Field(default_factory=ImageOptions, description="Picture settings.")


class ChatUpload(BaseModel):
    """An export file sent as the multipart field ``file``."""

    model_config = ConfigDict(extra="forbid")

    file: UploadFile = Field(
        description="A KakaoTalk export file (.txt or .csv) or a JSON message list."
    )

    async def chat_input(self) -> ChatInput:
        """The chat for the service layer (the file's bytes, decoded by ingestion)."""
        return ChatInput(await self.file.read())


class ChatImageUpload(ChatUpload, ImageOptions):
    """An export file, with the picture settings as further form fields."""

    def image_options(self) -> ImageOptions:
        """The picture settings sent (already validated)."""
        return ImageOptions.model_construct(**self.model_dump(exclude={"file"}))


def chat_image_bodies(sizes: ImageSizes) -> tuple[type[ChatImageRequest], type[ChatImageUpload]]:
    """The chat-image JSON and upload bodies, taking the picture sizes in ``sizes``."""
    options = sizes.bounded(ImageOptions)
    request: type[ChatImageRequest] = create_model(  # type: ignore[call-overload]
        ChatImageRequest.__name__,
        __base__=ChatImageRequest,
        __module__=__name__,
        __doc__=ChatImageRequest.__doc__,
        image=(options, Field(default_factory=options, description="Picture settings.")),
    )
    return request, sizes.bounded(ChatImageUpload)


class SummaryResponse(BaseModel):
    """A summary and what it summarizes."""

    summary: str = Field(description="The summary.")
    message_count: int = Field(description="Messages summarized (the latest conversation).")
    speaker_count: int = Field(description="Distinct speakers among them.")
    start: datetime | None = Field(description="First summarized message, if times are known.")
    end: datetime | None = Field(description="Last summarized message, if times are known.")
    chat_format: str = Field(description="Detected input format, e.g. 'pc_windows_ko', 'json'.")

    @classmethod
    def of(cls, result: SummaryResult) -> SummaryResponse:
        """The response for a service result."""
        return cls(**dataclasses.asdict(result))


class ImageResponse(BaseModel):
    """A picture, base64-encoded."""

    media_type: Literal["image/png"] = "image/png"
    image_base64: str = Field(description="The PNG file, base64.")
    seed: int = Field(description="The seed used: send it again to get the same picture.")

    @classmethod
    def of(cls, result: ImageResult) -> ImageResponse:
        """The response for a service result."""
        return cls(image_base64=base64.b64encode(result.png).decode("ascii"), seed=result.seed)


class ChatImageResponse(BaseModel):
    """The summary of a chat and the picture drawn from it."""

    summary: SummaryResponse
    image: ImageResponse


class HealthResponse(BaseModel):
    """The process is up."""

    status: Literal["ok"] = "ok"


class ReadyResponse(BaseModel):
    """Triton and every model the gateway calls are ready."""

    status: Literal["ready"] = "ready"
    models: dict[str, bool]
