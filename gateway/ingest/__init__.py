"""Chat ingestion: KakaoTalk exports and JSON messages in, a pseudonymized dialogue out.

Pure Python and web-agnostic: the gateway maps :class:`IngestError` (Korean and English
messages) to HTTP 400/422 or gRPC ``INVALID_ARGUMENT``. Chat text and names are never logged;
only formats and counts are.

Typical use::

    chat = parse_chat(uploaded_bytes)
    dialogue = select_dialogue(chat, count_tokens=count_batch, max_tokens=512)
    summary = summarize(dialogue.text)
"""

from gateway.ingest.errors import ChatFormatError, EmptyChatError, IngestError
from gateway.ingest.json_format import parse_messages_json
from gateway.ingest.models import ChatFormat, Dialogue, Message, ParsedChat
from gateway.ingest.parsing import parse_chat
from gateway.ingest.selection import DEFAULT_GAP, TokenCounter, select_dialogue

__all__ = [
    "DEFAULT_GAP",
    "ChatFormat",
    "ChatFormatError",
    "Dialogue",
    "EmptyChatError",
    "IngestError",
    "Message",
    "ParsedChat",
    "TokenCounter",
    "parse_chat",
    "parse_messages_json",
    "select_dialogue",
]
