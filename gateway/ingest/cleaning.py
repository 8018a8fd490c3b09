"""The clean-up every parser applies to a message before keeping it."""

from __future__ import annotations

from datetime import datetime

from gateway.ingest.accounting import Tally
from gateway.ingest.chat import Message
from gateway.ingest.media import EMOTICON, placeholder_kind
from gateway.ingest.system_lines import is_removed_message


def make_message(
    speaker: str, text: str, time: datetime | None, tally: Tally | None = None
) -> Message | None:
    """Build a message, or ``None`` when it carries nothing to summarize.

    Dropped (and counted in ``tally.dropped``): blank messages (``empty``), deleted/hidden-
    message stand-ins (``deleted``), and emoticon-only messages (``emoticon``: an emoticon
    alone says nothing the summary could use, and a run of ``[이모티콘]`` turns would take the
    summarizer's budget). Media placeholders become tags (see :mod:`gateway.ingest.media`)
    and are counted by kind in ``tally.placeholders``.

    Args:
        speaker: Display name as exported.
        text: Message text; surrounding blank lines and spaces are removed.
        time: When it was sent, if known.
        tally: Where to count what was dropped or replaced, if anywhere.
    """
    tally = tally if tally is not None else Tally()
    speaker = speaker.strip()
    text = text.strip()
    if not speaker or not text:
        tally.dropped["empty"] += 1
        return None
    if is_removed_message(text):
        tally.dropped["deleted"] += 1
        return None
    found = placeholder_kind(text)
    if found is not None:
        kind, text = found
        tally.placeholders[kind] += 1
    if text == EMOTICON:
        tally.dropped["emoticon"] += 1
        return None
    return Message(speaker=speaker, text=text, time=time)
