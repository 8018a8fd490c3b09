from __future__ import annotations

import numpy as np
import pytest

from triton_models.request_inputs import RequestError, decode_texts, scalar_per_row


def test_decode_texts_reads_utf8_rows() -> None:
    array = np.array([["안녕".encode()], [b"hi"]], dtype=np.object_)
    assert decode_texts(array, "dialogue") == ["안녕", "hi"]


def test_decode_texts_rejects_other_encodings() -> None:
    array = np.array([["안녕".encode("cp949")]], dtype=np.object_)
    with pytest.raises(RequestError, match="'dialogue' must be UTF-8"):
        decode_texts(array, "dialogue")


def test_scalar_per_row() -> None:
    assert scalar_per_row(None, "steps", 2, cast=int, low=1, high=100) == [None, None]
    assert scalar_per_row(np.array([[3], [4]]), "steps", 2, cast=int, low=1, high=100) == [3, 4]
    with pytest.raises(RequestError, match="between 1 and 100, got 0"):
        scalar_per_row(np.array([[0]]), "steps", 1, cast=int, low=1, high=100)
    with pytest.raises(RequestError, match="3 values for 2 rows"):
        scalar_per_row(np.array([1, 2, 3]), "steps", 2, cast=int, low=1, high=100)
