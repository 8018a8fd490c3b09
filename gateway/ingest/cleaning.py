"""The clean-up every parser applies to a message before keeping it."""

from __future__ import annotations

from datetime import datetime

from gateway.ingest.media import EMOTICON, normalize_media
from gateway.ingest.models import Message
from gateway.ingest.system_lines import is_removed_message


def make_message(speaker: str, text: str, time: datetime | None) -> Message | None:
    """Build a message, or ``None`` when it carries nothing to summarize.

    Dropped: blank messages, deleted/hidden-message stand-ins, and emoticon-only messages (an
    emoticon alone says nothing the summary could use, and a run of ``[이모티콘]`` turns would
    take the summarizer's budget). Media placeholders become tags (see
    :mod:`gateway.ingest.media`).

    Args:
        speaker: Display name as exported.
        text: Message text; surrounding blank lines and spaces are removed.
        time: When it was sent, if known.
    """
    speaker = speaker.strip()
    text = text.strip()
    if not speaker or not text or is_removed_message(text):
        return None
    text = normalize_media(text)
    if text == EMOTICON:
        return None
    return Message(speaker=speaker, text=text, time=time)
