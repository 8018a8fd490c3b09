"""Parity between an exported ONNX graph and the PyTorch module it came from.

Parity is part of export, not an afterthought: each graph is run on inputs other than the
tracing ones (other batch sizes and lengths) and compared with PyTorch; export fails with the
max abs difference when it is over tolerance, and every run writes a JSON report.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np


class ParityError(RuntimeError):
    """An exported graph differs from PyTorch by more than its tolerance."""


@dataclass
class ParityCase:
    """One comparison: the inputs' shapes and the max abs difference over all outputs."""

    shapes: dict[str, list[int]]
    max_abs_diff: float


@dataclass
class ParityResult:
    """All comparisons of one graph against its PyTorch module."""

    graph: str
    tolerance: float
    cases: list[ParityCase] = field(default_factory=list)

    @property
    def max_abs_diff(self) -> float:
        """The worst difference seen."""
        return max((c.max_abs_diff for c in self.cases), default=0.0)

    @property
    def passed(self) -> bool:
        """Whether every case is within tolerance (and there was at least one)."""
        return bool(self.cases) and self.max_abs_diff <= self.tolerance

    def add(
        self,
        shapes: dict[str, Sequence[int]],
        reference: Sequence[np.ndarray],
        actual: Sequence[np.ndarray],
    ) -> ParityCase:
        """Compare PyTorch outputs with ONNX outputs (same order) and record the case."""
        if len(reference) != len(actual):
            raise ParityError(
                f"{self.graph}: {len(actual)} outputs from ONNX, {len(reference)} from PyTorch"
            )
        worst = 0.0
        for ref, got in zip(reference, actual, strict=True):
            if ref.shape != got.shape:
                raise ParityError(
                    f"{self.graph}: output shape {got.shape} differs from PyTorch {ref.shape}"
                )
            diff = np.abs(ref.astype(np.float64) - got.astype(np.float64))
            worst = max(worst, float(diff.max()) if diff.size else 0.0)
        case = ParityCase({k: list(v) for k, v in shapes.items()}, worst)
        self.cases.append(case)
        return case

    def to_json(self) -> dict[str, object]:
        """JSON-ready summary."""
        return {
            "graph": self.graph,
            "tolerance": self.tolerance,
            "max_abs_diff": self.max_abs_diff,
            "passed": self.passed,
            "cases": [asdict(c) for c in self.cases],
        }


def write_report(results: Sequence[ParityResult], path: Path) -> None:
    """Write the parity report as JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    report = {"passed": all(r.passed for r in results), "graphs": [r.to_json() for r in results]}
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def require_parity(results: Sequence[ParityResult]) -> None:
    """Raise :class:`ParityError` naming every graph that is over tolerance."""
    failed = [r for r in results if not r.passed]
    if failed:
        detail = "; ".join(
            f"{r.graph}: max abs diff {r.max_abs_diff:.3g} > tolerance {r.tolerance:.3g}"
            if r.cases
            else f"{r.graph}: no parity case ran"
            for r in failed
        )
        raise ParityError(f"exported graphs differ from PyTorch: {detail}")
