"""Random-weight KoBART-shaped checkpoints for the ``tiny`` and ``small`` presets.

They are real ``BartForConditionalGeneration`` checkpoints with a Korean tokenizer, saved with
``save_pretrained`` so that export loads them through exactly the path a real checkpoint takes.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from transformers import BartConfig, BartForConditionalGeneration, GenerationConfig

from export.korean_tokenizer import train_byte_level_bpe

# KoBART's special tokens, in its vocabulary order (gogamza/kobart-base-v2).
KOBART_SPECIAL_TOKENS = ["<s>", "</s>", "<usr>", "<pad>", "<sys>", "<unk>", "<mask>"]

# gogamza/kobart-base-v2 sizes (the ``small`` preset uses them with random weights).
KOBART_BASE = {
    "vocab_size": 30000,
    "d_model": 768,
    "encoder_layers": 6,
    "decoder_layers": 6,
    "encoder_attention_heads": 16,
    "decoder_attention_heads": 16,
    "encoder_ffn_dim": 3072,
    "decoder_ffn_dim": 3072,
    "max_position_embeddings": 1026,
}

# init_std x sqrt(d_model) of the random checkpoints (see ``build_summarizer``).
DECISIVE_INIT = 1.6

TINY = {
    "vocab_size": 2048,
    "d_model": 64,
    "encoder_layers": 2,
    "decoder_layers": 2,
    "encoder_attention_heads": 4,
    "decoder_attention_heads": 4,
    "encoder_ffn_dim": 128,
    "decoder_ffn_dim": 128,
    "max_position_embeddings": 1026,
}


def build_summarizer(dest: Path, sizes: dict[str, int], *, seed: int = 0) -> Path:
    """Build and save a random-weight BART summarizer with a Korean tokenizer.

    Args:
        dest: Directory for ``save_pretrained`` (model, tokenizer, generation config).
        sizes: ``BartConfig`` sizes (:data:`TINY` or :data:`KOBART_BASE`).
        seed: Seed for the weights.

    Returns:
        ``dest``.
    """
    tokenizer = train_byte_level_bpe(
        vocab_size=sizes["vocab_size"],
        special_tokens=KOBART_SPECIAL_TOKENS,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        mask_token="<mask>",
        model_max_length=sizes["max_position_embeddings"] - 2,
    )
    # The bundled corpus is small: fill the vocabulary up to the model's size with unused
    # tokens so that every id the model can emit decodes to something.
    missing = sizes["vocab_size"] - len(tokenizer)
    if missing > 0:
        tokenizer.add_tokens([f"<unused{i}>" for i in range(missing)])
    config = BartConfig(
        **sizes,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id,
        forced_eos_token_id=tokenizer.eos_token_id,
        # Random weights at BART's usual 0.02 give nearly flat logits, where beam search
        # decisions hinge on 1e-7 noise; a wider init gives decisive, reproducible outputs.
        # It shrinks with the width so that activations keep the same size in every preset
        # (0.2 at d_model 64; a fixed 0.2 at 768 blows logits up to where float32 drifts).
        init_std=DECISIVE_INIT / math.sqrt(sizes["d_model"]),
        scale_embedding=False,
    )
    torch.manual_seed(seed)
    model = BartForConditionalGeneration(config).eval()
    model.generation_config = GenerationConfig(
        decoder_start_token_id=config.decoder_start_token_id,
        bos_token_id=config.bos_token_id,
        eos_token_id=config.eos_token_id,
        pad_token_id=config.pad_token_id,
        forced_eos_token_id=config.forced_eos_token_id,
    )
    dest.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(dest)
    tokenizer.save_pretrained(dest)
    return dest
