"""Validate what a Triton request carries, as numpy arrays, with messages a person can act on.

Kept free of ``triton_python_backend_utils`` so the rules are unit-tested without a server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np

T = TypeVar("T", int, float)


class RequestError(ValueError):
    """A request's input is unusable; the message goes back to the client as is."""


def decode_texts(array: np.ndarray, name: str) -> list[str]:
    """Decode a TYPE_STRING input (``[batch, 1]`` of bytes) to one string per row."""
    texts = []
    for value in array.reshape(-1):
        raw = value if isinstance(value, bytes) else str(value).encode()
        try:
            texts.append(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise RequestError(f"input '{name}' must be UTF-8 text") from exc
    return texts


def scalar_per_row(
    array: np.ndarray | None,
    name: str,
    rows: int,
    *,
    cast: Callable[[object], T],
    low: T,
    high: T,
) -> list[T | None]:
    """One optional scalar per batch row, range-checked; ``None`` where not sent."""
    if array is None:
        return [None] * rows
    values = array.reshape(-1)
    if values.size != rows:
        raise RequestError(f"input '{name}' has {values.size} values for {rows} rows")
    result: list[T | None] = []
    for value in values.tolist():
        number = cast(value)
        if not low <= number <= high:
            raise RequestError(f"input '{name}' must be between {low} and {high}, got {number}")
        result.append(number)
    return result
