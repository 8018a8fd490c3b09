"""Train small byte-level BPE tokenizers on the bundled Korean corpus for the tiny presets.

Real checkpoints bring their own tokenizers (KoBART's, a Korean CLIP's); the tiny and small
presets need one that handles Korean the same way without downloading anything. Byte-level BPE
never produces an unknown token, so any Korean text (or emoji) a user sends round-trips.
"""

from __future__ import annotations

from importlib import resources

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast


def korean_corpus() -> list[str]:
    """The bundled Korean training text, one sentence per line (comments dropped)."""
    text = resources.files("export").joinpath("data/korean_corpus.txt").read_text("utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def train_byte_level_bpe(
    *,
    vocab_size: int,
    special_tokens: list[str],
    bos_token: str,
    eos_token: str,
    pad_token: str,
    unk_token: str | None = None,
    mask_token: str | None = None,
    model_max_length: int,
    add_bos_eos: bool = True,
) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE tokenizer on the Korean corpus.

    Args:
        vocab_size: Target vocabulary size (special tokens included); the corpus is small, so
            the trained vocabulary may stop short of it.
        special_tokens: Special tokens, first in the vocabulary in this order.
        bos_token: Token prepended to every encoded text when ``add_bos_eos``.
        eos_token: Token appended to every encoded text when ``add_bos_eos``.
        pad_token: Padding token.
        unk_token: Unknown token, if the family has one (byte-level BPE never emits it).
        mask_token: Mask token, if the family has one.
        model_max_length: Maximum sequence length the model accepts.
        add_bos_eos: Whether encoding adds ``bos ... eos`` like BART and CLIP do.

    Returns:
        A fast tokenizer ready for ``save_pretrained``.
    """
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=special_tokens,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(korean_corpus(), trainer=trainer)
    if add_bos_eos:
        tokenizer.post_processor = processors.TemplateProcessing(
            single=f"{bos_token} $A {eos_token}",
            pair=f"{bos_token} $A {eos_token} {eos_token} $B {eos_token}",
            special_tokens=[(t, tokenizer.token_to_id(t)) for t in (bos_token, eos_token)],
        )
    extra = {"unk_token": unk_token} if unk_token else {}
    if mask_token:
        extra["mask_token"] = mask_token
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=bos_token,
        eos_token=eos_token,
        pad_token=pad_token,
        model_max_length=model_max_length,
        **extra,
    )
