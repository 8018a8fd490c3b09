"""What the benchmark commands share: a median timer and their plain-text tables.

``calle bench-graphs`` prints three tables (graphs, unet engines, summaries); each is a list of
:class:`Column` over its rows, written by :func:`render_table`. Hand-written because the
tables are a few fixed-width lines and no dependency is worth that.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

R = TypeVar("R")


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``repeats`` calls of ``run``, after one untimed warm-up call.

    The warm-up is where first calls allocate and pick their kernels.
    """
    run()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


@dataclass(frozen=True)
class Column(Generic[R]):
    """One column of a table.

    Attributes:
        title: The header.
        width: Characters the header and every cell take.
        value: The cell's value for a row.
        spec: Format spec of the value (``".1f"``, ``".0%"``).
        suffix: Written right after the value (``"x"`` for a ratio).
        left: Align left (text columns) instead of right (figures).
    """

    title: str
    width: int
    value: Callable[[R], object]
    spec: str = ""
    suffix: str = ""
    left: bool = False

    def align(self, text: str) -> str:
        """``text`` padded to the column's width."""
        return f"{text:<{self.width}}" if self.left else f"{text:>{self.width}}"

    def cell(self, row: R) -> str:
        """The row's cell."""
        return self.align(format(self.value(row), self.spec) + self.suffix)


def render_table(columns: Sequence[Column[R]], rows: Sequence[R], note: str | None = None) -> str:
    """The header, a rule as wide, one line per row, then ``note`` if given."""
    header = "".join(column.align(column.title) for column in columns)
    lines = ["".join(column.cell(row) for column in columns) for row in rows]
    return "\n".join([header, "-" * len(header), *lines, *([] if note is None else [note])])
