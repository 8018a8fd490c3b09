"""A tiny sentence-embedding model, built and saved the way a real one is shipped."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
from transformers import RobertaConfig, RobertaModel

from export.korean_tokenizer import train_byte_level_bpe

HIDDEN = 32


@pytest.fixture(scope="session")
def tiny_embedder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-weight RoBERTa + mean pooling sentence-transformers model saved to a folder.

    Same recipe as the default embedder (RoBERTa encoder, mean pooling), tiny and local: the
    tests load it by path through ``load_embedder``, the code path a real model takes.
    """
    root = tmp_path_factory.mktemp("embedder")
    tokenizer = train_byte_level_bpe(
        vocab_size=600,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>"],
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        model_max_length=64,
    )
    torch.manual_seed(0)
    config = RobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=HIDDEN,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=66,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    RobertaModel(config).save_pretrained(root / "roberta")
    tokenizer.save_pretrained(root / "roberta")
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(
        modules=[Transformer(str(root / "roberta")), Pooling(HIDDEN, pooling_mode="mean")]
    )
    model.save(str(root / "sbert"))
    return root / "sbert"
