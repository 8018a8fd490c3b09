"""Chat ingestion: KakaoTalk exports and JSON messages in, a pseudonymized dialogue out.

Pure Python and web-agnostic: the gateway maps :class:`IngestError` (Korean and English
messages) to HTTP 400/422 or gRPC ``INVALID_ARGUMENT``. Chat text and names are never logged;
only formats and counts are.

Typical use::

    chat = parse_chat(uploaded_bytes)  # chat.report: where every line went
    dialogue = select_dialogue(chat, count_tokens=count_batch, max_tokens=512)
    summary = summarize(dialogue.text)  # dialogue.selection: what was chosen and why
"""

from gateway.ingest.accounting import LineRole, ParseReport
from gateway.ingest.chat import ChatFormat, Dialogue, Message, ParsedChat, SelectionReport
from gateway.ingest.errors import ChatFormatError, EmptyChatError, IngestError
from gateway.ingest.json_format import parse_messages_json
from gateway.ingest.parsing import parse_chat
from gateway.ingest.selection import (
    DEFAULT_GAP,
    DEFAULT_MIN_MESSAGES,
    DEFAULT_MIN_SPEAKERS,
    TokenCounter,
    select_dialogue,
)

__all__ = [
    "DEFAULT_GAP",
    "DEFAULT_MIN_MESSAGES",
    "DEFAULT_MIN_SPEAKERS",
    "ChatFormat",
    "ChatFormatError",
    "Dialogue",
    "EmptyChatError",
    "IngestError",
    "LineRole",
    "Message",
    "ParseReport",
    "ParsedChat",
    "SelectionReport",
    "TokenCounter",
    "parse_chat",
    "parse_messages_json",
    "select_dialogue",
]
