"""Choose the part of a chat to summarize and write it the way the summarizer reads it.

A group chat export spans months; a summary of all of it says nothing. What people want is
"what did we just talk about", so the dialogue is the latest burst of conversation, cut to the
summarizer's source budget from the oldest end (the newest messages matter most).

Token counts come from the summarizer's tokenizer (the gateway loads its exported
``tokenizer.json``), so ``count_tokens`` takes a batch of texts: turns are counted newest first
in chunks of :data:`COUNT_CHUNK`, never one call per line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta

from gateway.ingest.errors import EmptyChatError
from gateway.ingest.models import Dialogue, Message, ParsedChat
from gateway.ingest.pseudonyms import Pseudonyms

logger = logging.getLogger(__name__)

DEFAULT_GAP = timedelta(hours=2)

# Turns counted per ``count_tokens`` call: a 512-token budget holds a few dozen chat turns, so one
# chunk usually settles the start and a long burst is never counted as a whole.
COUNT_CHUNK = 64

TokenCounter = Callable[[Sequence[str]], Sequence[int]]


def select_dialogue(
    chat: ParsedChat,
    *,
    count_tokens: TokenCounter,
    max_tokens: int,
    gap: timedelta = DEFAULT_GAP,
) -> Dialogue:
    """Pick the latest burst of conversation that fits the budget, with speakers pseudonymized.

    1. Walk back from the last message and stop at the first silence longer than ``gap``.
       Messages without a time never cut (a chat without times is one burst).
    2. Drop the oldest messages until the text fits ``max_tokens``. The newest message is
       always kept, even alone over budget: the summarizer truncates its input, and a
       truncated message is a better input than none.
    3. Replace names by ``P01``, ``P02``, ... (see :mod:`gateway.ingest.pseudonyms`) and write
       one turn per line, ``P01: text``, with the lines of multi-line messages joined by spaces.

    Args:
        chat: A parsed chat.
        count_tokens: The summarizer tokenizer's counts for a batch of texts (without special
            tokens, one count per text, in order), so that the budget is in the model's own
            tokens.
        max_tokens: The source budget, in ``count_tokens`` units.
        gap: The silence that separates two conversations.

    Returns:
        The dialogue; its ``text`` fits ``max_tokens`` unless it is a single message.

    Raises:
        EmptyChatError: The chat has no message left to summarize.
        ValueError: ``max_tokens`` or ``gap`` is not positive (a caller bug, not bad input).
    """
    if max_tokens < 1:
        raise ValueError("max_tokens must be positive")
    if gap <= timedelta(0):
        raise ValueError("gap must be positive")
    if not chat.messages:
        raise EmptyChatError()
    burst = latest_burst(chat.messages, gap)
    everyone = list(dict.fromkeys(message.speaker for message in chat.messages))
    dialogue = _fit(burst, everyone, count_tokens, max_tokens)
    logger.info(
        "selected %d of %d messages (%d in the latest burst) from %d speakers",
        dialogue.message_count,
        len(chat.messages),
        len(burst),
        dialogue.speaker_count,
    )
    return dialogue


def latest_burst(messages: Sequence[Message], gap: timedelta) -> Sequence[Message]:
    """The messages after the last silence longer than ``gap``.

    Messages without a time stay with the timed message after them.
    """
    later = None
    for index in range(len(messages) - 1, -1, -1):
        time = messages[index].time
        if time is None:
            continue
        if later is not None and later - time > gap:
            return messages[index + 1 :]
        later = time
    return messages


def _fit(
    burst: Sequence[Message],
    everyone: list[str],
    count_tokens: TokenCounter,
    max_tokens: int,
) -> Dialogue:
    """The newest messages of ``burst`` whose dialogue text fits ``max_tokens``.

    Counting the whole text for every candidate start would tokenize the burst once per
    message, so the start is estimated from per-turn counts (labels are numbered over the
    whole burst; the final ones differ only in digits) and then checked on the final text.
    """
    turns = _turns(burst, everyone)
    start = _estimated_start(turns, count_tokens, max_tokens)
    dialogue = _render(burst[start:], everyone)
    while start < len(burst) - 1 and count_tokens([dialogue.text])[0] > max_tokens:
        start += 1
        dialogue = _render(burst[start:], everyone)
    return dialogue


def _estimated_start(turns: Sequence[str], count_tokens: TokenCounter, max_tokens: int) -> int:
    """Index of the oldest turn whose own count still fits, the newest turn always included.

    Turns are counted newest first, :data:`COUNT_CHUNK` per call, until the budget is spent.
    """
    start, total = len(turns), 0
    while start > 0:
        chunk = turns[max(0, start - COUNT_CHUNK) : start]
        for cost in reversed(count_tokens(chunk)):
            if start < len(turns) and total + cost > max_tokens:
                return start
            start, total = start - 1, total + cost
    return start


def _turns(messages: Sequence[Message], everyone: list[str]) -> list[str]:
    """One ``P01: text`` line per message, whitespace (line breaks included) collapsed."""
    names = Pseudonyms(dict.fromkeys(message.speaker for message in messages), everyone)
    return [
        f"{names.label(message.speaker)}: {' '.join(names.scrub(message.text).split())}"
        for message in messages
    ]


def _render(messages: Sequence[Message], everyone: list[str]) -> Dialogue:
    times = [message.time for message in messages if message.time is not None]
    return Dialogue(
        text="\n".join(_turns(messages, everyone)),
        message_count=len(messages),
        speaker_count=len({message.speaker for message in messages}),
        start=min(times, default=None),
        end=max(times, default=None),
    )
