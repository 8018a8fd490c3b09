"""The dialogue a chat is summarized from, chosen in the gateway with the summarizer's tokenizer.

The gateway holds the exported ``tokenizer.json`` (``tokenizers``, no torch): it trims a chat to
the summarizer's source budget itself, in a pure synchronous function that can run in any
worker, and Triton receives a dialogue that already fits. Evaluation, the load-test baseline
and the in-process reference trim with the same function.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from tokenizers import Tokenizer

from gateway.ingest import DEFAULT_GAP, Dialogue, ParsedChat, select_dialogue
from gateway.ingest.selection import DEFAULT_MIN_MESSAGES, DEFAULT_MIN_SPEAKERS
from gateway.service_io import ChatInput


class SourceTokenizer:
    """The summarizer's tokenizer and source budget, from its exported ``tokenizer.json``.

    The file's truncation is the summarizer's budget (special tokens included); chats are cut
    to it less the special tokens the summarizer adds, so that it never truncates them again.
    Picklable (``tokenizers.Tokenizer`` is), so it can travel to a worker process.

    Args:
        path: The exported ``summarizer/1/tokenizer.json``.
        budget: A budget of one's own (``calle inspect --max-tokens``) instead of the file's.

    Raises:
        ValueError: No budget given and the file has no truncation (it is not an exported
            summarizer tokenizer).
    """

    def __init__(self, path: Path, *, budget: int | None = None) -> None:
        self.path = path
        self._budget_override = budget
        data = path.read_bytes()
        tokenizer = Tokenizer.from_str(data.decode("utf-8"))
        if budget is None:
            if tokenizer.truncation is None:
                raise ValueError(
                    f"{path} has no truncation: give the exported summarizer tokenizer"
                )
            specials = tokenizer.num_special_tokens_to_add(is_pair=False)
            budget = int(tokenizer.truncation["max_length"]) - specials
        self.budget = budget
        tokenizer.no_truncation()
        self._tokenizer = tokenizer
        # The summarizer's ``tokenizer_sha256`` parameter is the same digest of the same file.
        self.digest = hashlib.sha256(data).hexdigest()

    def reread(self) -> SourceTokenizer | None:
        """The tokenizer the file now holds, when it is no longer this one (a new export).

        Raises:
            OSError: The file cannot be read.
            ValueError: It is not an exported summarizer tokenizer.
            Exception: ``tokenizers`` cannot parse it (it raises plain ``Exception``).
        """
        if hashlib.sha256(self.path.read_bytes()).hexdigest() == self.digest:
            return None
        return SourceTokenizer(self.path, budget=self._budget_override)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens per text, without special tokens (what ``select_dialogue`` counts)."""
        encoded = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [len(encoding.ids) for encoding in encoded]


def latest_dialogue(
    chat: ChatInput,
    tokenizer: SourceTokenizer,
    gap: timedelta = DEFAULT_GAP,
    *,
    min_messages: int = DEFAULT_MIN_MESSAGES,
    min_speakers: int = DEFAULT_MIN_SPEAKERS,
) -> tuple[ParsedChat, Dialogue]:
    """The parsed chat and its latest conversation, cut to the summarizer's budget.

    ``min_messages`` and ``min_speakers`` extend a short burst past the gap
    (:func:`gateway.ingest.select_dialogue`).

    Raises:
        gateway.ingest.IngestError: The chat is unreadable or has nothing to summarize.
    """
    parsed = chat.parse()
    return parsed, trim(
        parsed, tokenizer, gap, min_messages=min_messages, min_speakers=min_speakers
    )


def trim(
    parsed: ParsedChat,
    tokenizer: SourceTokenizer,
    gap: timedelta = DEFAULT_GAP,
    *,
    min_messages: int = DEFAULT_MIN_MESSAGES,
    min_speakers: int = DEFAULT_MIN_SPEAKERS,
) -> Dialogue:
    """The latest conversation of a parsed chat, cut to the summarizer's budget.

    Raises:
        gateway.ingest.IngestError: The chat has nothing to summarize.
    """
    return select_dialogue(
        parsed,
        count_tokens=tokenizer.count_tokens,
        max_tokens=tokenizer.budget,
        gap=gap,
        min_messages=min_messages,
        min_speakers=min_speakers,
    )
