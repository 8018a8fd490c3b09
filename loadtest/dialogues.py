"""A chat read and trimmed the way the gateway does it, for the in-process runs.

The baseline and the in-process reference have no Triton ``token_count`` model to ask, so they
count with the summarizer's own tokenizer exactly as that model does (no special tokens), and
otherwise run the gateway's :mod:`gateway.ingest` code with its default conversation gap.
"""

from __future__ import annotations

from collections.abc import Sequence

from transformers import PreTrainedTokenizerBase

from gateway.ingest import DEFAULT_GAP, Dialogue, ParsedChat, select_dialogue
from gateway.models import ChatInput


def latest_dialogue(
    chat: ChatInput, tokenizer: PreTrainedTokenizerBase, budget: int
) -> tuple[ParsedChat, Dialogue]:
    """The parsed chat and its latest conversation, cut to ``budget`` summarizer tokens.

    Raises:
        gateway.ingest.IngestError: The chat is unreadable or has nothing to summarize.
    """

    def count_tokens(texts: Sequence[str]) -> list[int]:
        encoded = tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        return [len(ids) for ids in encoded]

    parsed = chat.parse()
    return parsed, select_dialogue(
        parsed, count_tokens=count_tokens, max_tokens=budget, gap=DEFAULT_GAP
    )
