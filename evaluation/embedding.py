"""Sentence embeddings for the similarity metric of the service's first version.

That team scored a summary by the cosine similarity between its sentence embedding and the
reference's (RDASS without the document term), with klue/roberta-base fine-tuned on KorSTS and
mean pooling. :data:`DEFAULT_EMBEDDER` is that recipe as published on the Hugging Face hub: a
model trained to put cosine similarity on the KorSTS scale divided by 5, which is why a
similarity of 0.6 reads as a KorSTS score of 3.0 ("roughly equivalent").

Any sentence-transformers model works, by hub id or local directory. A hub id needs the hub to
be reachable (set ``HF_HUB_OFFLINE=1`` to fail at once instead of retrying); elsewhere, copy the
model where the hub is reachable (``SentenceTransformer(ID).save(DIR)``) and pass ``DIR``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

DEFAULT_EMBEDDER = "jhgan/ko-sroberta-sts"
# ``--embedder none``: skip the similarity metric on purpose.
NO_EMBEDDER = "none"
ENCODE_BATCH = 32


class EmbedderError(RuntimeError):
    """The sentence-embedding model cannot be loaded."""


def load_embedder(name_or_path: str) -> SentenceTransformer:
    """Load a sentence-transformers model from a local directory or the hub.

    Args:
        name_or_path: A directory saved by ``SentenceTransformer.save`` (or a hub snapshot), or
            a hub id. Strings that name an existing path, or start like one (``/``, ``.``,
            ``~``), are local and never sent to the hub.

    Raises:
        EmbedderError: Nothing usable was found there; the message says what to do.
    """
    path = Path(name_or_path).expanduser()
    local = path.exists() or name_or_path.startswith(("/", ".", "~"))
    if local and not path.is_dir():
        raise EmbedderError(
            f"no sentence-embedding model at {path}: --embedder takes a directory saved by "
            "SentenceTransformer.save() or a hub id"
        )
    # Imported here: torch and sentence-transformers take seconds to import, which `--help`
    # and the command's argument checks should not wait for.
    from sentence_transformers import SentenceTransformer

    logger.info("loading sentence-embedding model %s", path if local else name_or_path)
    try:
        return SentenceTransformer(str(path) if local else name_or_path)
    # Whatever went wrong (no network, missing files, a foreign directory), the operator's next
    # step is the same; the cause stays chained.
    except Exception as exc:
        where = (
            "that directory does not hold a sentence-transformers model"
            if local
            else "a hub id needs the Hugging Face hub; without it, pass a local copy "
            "(--embedder DIR, saved with SentenceTransformer(ID).save(DIR) where the hub is "
            "reachable)"
        )
        raise EmbedderError(
            f"cannot load the sentence-embedding model {name_or_path!r}: {where} ({exc})"
        ) from exc


def embed(model: SentenceTransformer, texts: Sequence[str]) -> np.ndarray:
    """Unit-length embeddings of ``texts``, one row each."""
    return model.encode(
        list(texts),
        batch_size=ENCODE_BATCH,
        convert_to_numpy=True,
        normalize_embeddings=True,
        show_progress_bar=False,
    )


def cosine_similarities(predictions: np.ndarray, references: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity of two matrices of unit-length embeddings, in [-1, 1]."""
    if predictions.shape != references.shape:
        raise ValueError(f"shapes differ: {predictions.shape} and {references.shape}")
    return np.clip(np.einsum("ij,ij->i", predictions, references), -1.0, 1.0)
