"""The embedding similarity, with a tiny sentence-transformers model loaded by path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evaluation.embedding import EmbedderError, cosine_similarities, embed, load_embedder

SUMMARIES = [
    "친구들은 토요일 아침 8시 KTX를 타고 부산 여행을 가기로 했다.",
    "팀원들은 내일 회의를 오후 2시로 옮기기로 했다.",
    "가족들은 설날 새벽 6시에 할머니 댁으로 출발하기로 했다.",
]


@pytest.fixture(scope="module")
def embedder(tiny_embedder: Path):
    return load_embedder(str(tiny_embedder))


def test_identical_summaries_score_one(embedder) -> None:
    vectors = embed(embedder, SUMMARIES)
    assert cosine_similarities(vectors, vectors) == pytest.approx(np.ones(3), abs=1e-6)


def test_embeddings_are_unit_length_and_distinguish_texts(embedder) -> None:
    vectors = embed(embedder, SUMMARIES)
    assert vectors.shape == (3, 32)
    assert np.linalg.norm(vectors, axis=1) == pytest.approx(np.ones(3), abs=1e-5)
    shifted = cosine_similarities(vectors, np.roll(vectors, 1, axis=0))
    assert np.all(shifted < 1 - 1e-4)
    assert np.all(np.abs(shifted) <= 1)


def test_cosine_on_known_vectors() -> None:
    a = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    b = np.array([[1.0, 0.0], [1.0, 0.0], [-1.0, 0.0]])
    assert cosine_similarities(a, b).tolist() == [1.0, 0.0, -1.0]
    with pytest.raises(ValueError, match="shapes"):
        cosine_similarities(a, b[:2])


def test_missing_local_path_fails_at_once(tmp_path: Path) -> None:
    with pytest.raises(EmbedderError, match="no sentence-embedding model"):
        load_embedder(str(tmp_path / "missing"))


def test_foreign_directory_fails_with_a_clear_message(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a model")
    with pytest.raises(EmbedderError, match="does not hold a sentence-transformers model"):
        load_embedder(str(tmp_path))
