"""What the service layer takes and returns, shared by the HTTP and gRPC front ends.

Image options are a pydantic model so that both front ends validate them with the same
ranges (HTTP embeds it in its request schema, gRPC validates its message through it). Results
are plain dataclasses that each front end renders in its own way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from gateway.errors import from_validation_errors
from gateway.ingest import ParsedChat, parse_chat, parse_messages_json

Model = TypeVar("Model", bound=BaseModel)

MAX_SEED = 2**63 - 1
Prompt = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


@dataclass(frozen=True)
class ChatInput:
    """A chat as a client sent it.

    Attributes:
        content: An export file as uploaded (bytes) or pasted (text), or JSON messages
            (``{"speaker", "text", "time"?}`` mappings).
    """

    content: bytes | str | Sequence[Mapping[str, Any]]

    def size(self) -> int:
        """About how many bytes the chat is (what its parsing costs grows with)."""
        if isinstance(self.content, bytes | str):
            return len(self.content)
        return sum(len(str(value)) for item in self.content for value in item.values())

    def parse(self) -> ParsedChat:
        """Parse the chat (CPU-bound for big files: call it off the event loop).

        Raises:
            gateway.ingest.IngestError: The chat is in no accepted format.
        """
        if isinstance(self.content, bytes | str):
            return parse_chat(self.content)
        return parse_messages_json([dict(item) for item in self.content])


class ChatMessage(BaseModel):
    """One chat message sent as JSON or protobuf; both front ends validate it here."""

    speaker: str = Field(min_length=1, max_length=200, description="Display name.")
    text: str = Field(description="The message.")
    time: datetime | None = Field(None, description="When it was sent (ISO-8601).")


def chat_of_messages(messages: Sequence[ChatMessage]) -> ChatInput:
    """The service layer's chat for validated messages."""
    return ChatInput(
        [
            {
                "speaker": message.speaker,
                "text": message.text,
                "time": message.time.isoformat() if message.time else None,
            }
            for message in messages
        ]
    )


class ImageOptions(BaseModel):
    """How to draw a picture; every field is optional and Triton's defaults apply when unset.

    The sizes here are only plausible ones: the front ends validate with
    :meth:`gateway.image_sizes.ImageSizes.bounded` models, which take exactly the multiples and
    maximum of the served export.
    """

    model_config = ConfigDict(extra="forbid")

    negative_prompt: str | None = Field(
        None, max_length=1000, description="What the picture should not show."
    )
    seed: int | None = Field(
        None, ge=0, le=MAX_SEED, description="Same seed and settings, same picture."
    )
    steps: int | None = Field(None, ge=1, le=100, description="Denoising steps.")
    guidance_scale: float | None = Field(
        None, ge=0, le=30, description="How closely to follow the prompt (applies above 1)."
    )
    height: int | None = Field(None, ge=8, le=2048, description="Pixels; the model's default.")
    width: int | None = Field(None, ge=8, le=2048, description="Pixels; the model's default.")

    @field_validator("seed", "steps", "guidance_scale", "height", "width", mode="before")
    @classmethod
    def _not_bool(cls, value: object) -> object:
        """Refuse ``true``/``false`` where a number is meant (pydantic's lax mode takes them)."""
        if isinstance(value, bool):
            raise ValueError("a number is required, not a boolean")
        return value


class ImageRequest(ImageOptions):
    """A picture to draw from a prompt."""

    prompt: Prompt = Field(description="What to draw.")


def validated(model: type[Model], data: object) -> Model:
    """``data`` (a gRPC message's fields) validated as ``model``, failures as 422.

    HTTP bodies are validated by FastAPI; both end in :class:`ValidationFailedError`.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise from_validation_errors(exc.errors()) from exc


@dataclass(frozen=True)
class SummaryResult:
    """A summary and what it summarizes.

    Attributes:
        summary: The summarizer's text.
        message_count: Messages in the summarized dialogue.
        speaker_count: Distinct speakers among them.
        start: Time of the first summarized message, if the chat has times.
        end: Time of the last summarized message, if the chat has times.
        chat_format: The detected input format (``pc_windows_ko``, ``json``, ...).
    """

    summary: str
    message_count: int
    speaker_count: int
    start: datetime | None
    end: datetime | None
    chat_format: str


@dataclass(frozen=True)
class ImageResult:
    """A generated picture.

    Attributes:
        png: The PNG file.
        seed: The seed used (the one asked for, or the one Triton drew).
    """

    png: bytes
    seed: int
