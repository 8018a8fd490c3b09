"""Request and response bodies of the HTTP API (the error schema lives in ``errors``)."""

from __future__ import annotations

import base64
import dataclasses
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gateway.models import ChatInput, ImageOptions, ImageResult, SummaryResult


class ChatMessageIn(BaseModel):
    """One chat message sent as JSON (unknown keys are ignored)."""

    speaker: str = Field(min_length=1, max_length=200, description="Display name.")
    text: str = Field(description="The message.")
    time: datetime | None = Field(None, description="When it was sent (ISO-8601).")


class SummaryRequest(BaseModel):
    """A chat to summarize: an export's text or a message list (exactly one)."""

    model_config = ConfigDict(extra="forbid")

    chat: str | None = Field(
        None, min_length=1, description="The text of a KakaoTalk export, in any supported format."
    )
    messages: list[ChatMessageIn] | None = Field(None, description="The messages, oldest first.")

    @model_validator(mode="after")
    def _one_source(self) -> SummaryRequest:
        if (self.chat is None) == (self.messages is None):
            raise ValueError("send exactly one of 'chat' or 'messages'")
        return self

    def chat_input(self) -> ChatInput:
        """The chat for the service layer."""
        if self.chat is not None:
            return ChatInput(self.chat)
        return ChatInput(
            [
                {
                    "speaker": message.speaker,
                    "text": message.text,
                    "time": message.time.isoformat() if message.time else None,
                }
                for message in self.messages or []
            ]
        )

    def image_options(self) -> ImageOptions:
        """Picture settings: none for a summary."""
        return ImageOptions()


class ChatImageRequest(SummaryRequest):
    """A chat to summarize and draw, with optional settings for the picture."""

    image: ImageOptions = Field(default_factory=ImageOptions, description="Picture settings.")

    def image_options(self) -> ImageOptions:
        """The picture settings sent."""
        return self.image


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
