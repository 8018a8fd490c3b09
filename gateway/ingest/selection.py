"""Choose the part of a chat to summarize and write it the way the summarizer reads it.

A group chat export spans months; a summary of all of it says nothing. What people want is
"what did we just talk about", so the dialogue is the latest burst of conversation, extended
past the gap when it is too short to draw, and cut to the summarizer's source budget from the
oldest end (the newest messages matter most).

Token counts come from the summarizer's tokenizer (the gateway loads its exported
``tokenizer.json``), so ``count_tokens`` takes a batch of texts: turns are counted newest first
in chunks of :data:`COUNT_CHUNK`, never one call per line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta

from gateway.ingest.chat import Dialogue, Message, ParsedChat, SelectionReport
from gateway.ingest.errors import EmptyChatError
from gateway.ingest.pseudonyms import NameMatcher, Pseudonyms

logger = logging.getLogger(__name__)

DEFAULT_GAP = timedelta(hours=2)
# Enough conversation to draw: a 512-token budget holds a few dozen turns, so ten messages from
# two people fit with room to spare.
DEFAULT_MIN_MESSAGES = 10
DEFAULT_MIN_SPEAKERS = 2

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
    min_messages: int = DEFAULT_MIN_MESSAGES,
    min_speakers: int = DEFAULT_MIN_SPEAKERS,
) -> Dialogue:
    """Pick the latest conversation that fits the budget, with speakers pseudonymized.

    1. Walk back from the last message and stop at the first silence longer than ``gap``.
       Messages without a time never cut (a chat without times is one burst).
    2. If that burst holds fewer than ``min_messages`` messages or ``min_speakers`` speakers
       (a lone "ㅋㅋ" after a night's silence draws nothing), walk on past the gap until the
       selection holds both minimums, or the chat's first message is reached.
    3. Drop the oldest messages until the text fits ``max_tokens``: the budget wins over the
       minimum. The newest message is always kept, even alone over budget: the summarizer
       truncates its input, and a truncated message is a better input than none.
    4. Replace names by ``P01``, ``P02``, ... (see :mod:`gateway.ingest.pseudonyms`) and write
       one turn per line, ``P01: text``, with the lines of multi-line messages joined by spaces.

    Args:
        chat: A parsed chat.
        count_tokens: The summarizer tokenizer's counts for a batch of texts (without special
            tokens, one count per text, in order), so that the budget is in the model's own
            tokens.
        max_tokens: The source budget, in ``count_tokens`` units.
        gap: The silence that separates two conversations.
        min_messages: The fewest messages worth summarizing (``CALLE_MIN_DIALOGUE_MESSAGES``).
        min_speakers: The fewest distinct speakers worth summarizing
            (``CALLE_MIN_DIALOGUE_SPEAKERS``).

    Returns:
        The dialogue, with :attr:`Dialogue.selection` saying what was chosen and why; its
        ``text`` fits ``max_tokens`` unless it is a single message.

    Raises:
        EmptyChatError: The chat has no message left to summarize.
        ValueError: ``max_tokens``, ``gap`` or a minimum is not positive (a caller bug, not
            bad input).
    """
    if max_tokens < 1:
        raise ValueError("max_tokens must be positive")
    if gap <= timedelta(0):
        raise ValueError("gap must be positive")
    if min_messages < 1 or min_speakers < 1:
        raise ValueError("min_messages and min_speakers must be positive")
    messages = chat.messages
    if not messages:
        raise EmptyChatError()
    burst_start = latest_burst_start(messages, gap)
    start = min(burst_start, _minimum_start(messages, min_messages, min_speakers))
    candidates = messages[start:]
    matcher = NameMatcher(message.speaker for message in messages)
    dialogue = _fit(candidates, matcher, count_tokens, max_tokens)
    report = SelectionReport(
        chat_messages=len(messages),
        burst_messages=len(messages) - burst_start,
        candidate_messages=len(candidates),
        min_messages=min_messages,
        min_speakers=min_speakers,
        minimum_met=_meets(candidates, min_messages, min_speakers),
        budget_dropped=len(candidates) - dialogue.message_count,
        reason="",
    )
    dialogue = replace(dialogue, selection=replace(report, reason=_reason(report, dialogue)))
    logger.info(
        "selected %d of %d messages (%d in the latest burst, %d candidates) from %d speakers",
        dialogue.message_count,
        len(messages),
        report.burst_messages,
        report.candidate_messages,
        dialogue.speaker_count,
    )
    return dialogue


def latest_burst_start(messages: Sequence[Message], gap: timedelta) -> int:
    """Index of the first message after the last silence longer than ``gap``.

    Messages without a time stay with the timed message after them.
    """
    later = None
    for index in range(len(messages) - 1, -1, -1):
        time = messages[index].time
        if time is None:
            continue
        if later is not None and later - time > gap:
            return index + 1
        later = time
    return 0


def _minimum_start(messages: Sequence[Message], min_messages: int, min_speakers: int) -> int:
    """Index of the latest start whose messages meet both minimums (0 when none does)."""
    speakers: set[str] = set()
    for index in range(len(messages) - 1, -1, -1):
        speakers.add(messages[index].speaker)
        if len(messages) - index >= min_messages and len(speakers) >= min_speakers:
            return index
    return 0


def _meets(messages: Sequence[Message], min_messages: int, min_speakers: int) -> bool:
    speakers = {message.speaker for message in messages}
    return len(messages) >= min_messages and len(speakers) >= min_speakers


def _reason(report: SelectionReport, dialogue: Dialogue) -> str:
    """Why the dialogue is what it is, in counts only."""
    burst = f"the latest burst ({report.burst_messages} messages)"
    if not report.extended_past_gap:
        whole = report.burst_messages == report.chat_messages
        basis = "the whole chat is one burst" if whole else f"{burst} was taken"
    elif report.candidate_messages == report.chat_messages:
        basis = f"{burst} was too short: extended past the gap to the whole chat"
    else:
        basis = f"{burst} was too short: extended past the gap to {report.candidate_messages}"
    reason = (
        f"{basis}; it holds {'' if report.minimum_met else 'fewer than '}the minimum of "
        f"{report.min_messages} messages from {report.min_speakers} speakers"
    )
    if report.budget_dropped:
        reason += (
            f"; the token budget left out the oldest {report.budget_dropped}, "
            f"keeping {dialogue.message_count} from {dialogue.speaker_count} speakers"
        )
    return reason[0].upper() + reason[1:] + "."


def _fit(
    candidates: Sequence[Message],
    matcher: NameMatcher,
    count_tokens: TokenCounter,
    max_tokens: int,
) -> Dialogue:
    """The newest ``candidates`` whose dialogue text fits ``max_tokens``.

    Counting the whole text for every candidate start would tokenize the candidates once per
    message, so the start is estimated from per-turn counts (labels are numbered over all
    candidates; the final ones differ only in digits) and then checked on the final text.
    """
    turns = _turns(candidates, matcher)
    start = _estimated_start(turns, count_tokens, max_tokens)
    dialogue = _render(candidates[start:], matcher)
    while start < len(candidates) - 1 and count_tokens([dialogue.text])[0] > max_tokens:
        start += 1
        dialogue = _render(candidates[start:], matcher)
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


def _turns(messages: Sequence[Message], matcher: NameMatcher) -> list[str]:
    """One ``P01: text`` line per message, whitespace (line breaks included) collapsed."""
    names = Pseudonyms(dict.fromkeys(message.speaker for message in messages), matcher=matcher)
    return [
        f"{names.label(message.speaker)}: {' '.join(names.scrub(message.text).split())}"
        for message in messages
    ]


def _render(messages: Sequence[Message], matcher: NameMatcher) -> Dialogue:
    times = [message.time for message in messages if message.time is not None]
    return Dialogue(
        text="\n".join(_turns(messages, matcher)),
        message_count=len(messages),
        speaker_count=len({message.speaker for message in messages}),
        start=min(times, default=None),
        end=max(times, default=None),
    )
