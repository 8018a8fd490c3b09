"""Parity between an exported ONNX graph and the PyTorch module it came from.

Parity is part of export, not an afterthought: each graph is run on inputs other than the
tracing ones (other batch sizes and lengths) and compared with PyTorch; export fails with the
max abs difference when it is over tolerance, and every run writes a JSON report.

Tolerances scale with the outputs: a case passes when its max abs difference is at most
``tolerance x max(1, max |reference|)``. Hidden states and images are O(1), where that is the
plain absolute tolerance; logits of a real vocabulary reach tens, where float32 rounding over
many layers legitimately grows with them (a broken graph is off by whole units either way).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
from PIL import Image


class ParityError(RuntimeError):
    """An exported graph differs from PyTorch by more than its tolerance."""


class Check(Protocol):
    """One entry of the parity report: a graph's parity or an engine's fidelity check."""

    graph: str

    @property
    def passed(self) -> bool:
        """Whether the check passed."""
        ...

    def failure(self) -> str:
        """Why it failed, for the export error."""
        ...

    def to_json(self) -> dict[str, object]:
        """JSON-ready summary."""
        ...


@dataclass
class ParityCase:
    """One comparison of a graph with PyTorch.

    Attributes:
        shapes: The inputs' shapes.
        max_abs_diff: The max abs difference over all outputs.
        scale: ``max(1, max |reference|)``, which the tolerance is multiplied by.
    """

    shapes: dict[str, list[int]]
    max_abs_diff: float
    scale: float = 1.0

    def within(self, tolerance: float) -> bool:
        """Whether the difference is within ``tolerance`` at this case's scale."""
        return self.max_abs_diff <= tolerance * self.scale


@dataclass
class ParityResult:
    """All comparisons of one graph against its PyTorch module."""

    graph: str
    tolerance: float
    cases: list[ParityCase] = field(default_factory=list)
    engine: str | None = None  # the engine/precision the graph ran on, where there is a choice

    @property
    def max_abs_diff(self) -> float:
        """The worst difference seen."""
        return max((c.max_abs_diff for c in self.cases), default=0.0)

    @property
    def passed(self) -> bool:
        """Whether every case is within tolerance (and there was at least one)."""
        return bool(self.cases) and all(c.within(self.tolerance) for c in self.cases)

    @property
    def worst_case(self) -> ParityCase | None:
        """The case furthest over (or least under) its scaled tolerance."""
        return max(self.cases, key=lambda c: c.max_abs_diff / c.scale, default=None)

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
        worst, scale = 0.0, 1.0
        for ref, got in zip(reference, actual, strict=True):
            if ref.shape != got.shape:
                raise ParityError(
                    f"{self.graph}: output shape {got.shape} differs from PyTorch {ref.shape}"
                )
            if not ref.size:
                continue
            expected = ref.astype(np.float64)
            worst = max(worst, float(np.abs(expected - got.astype(np.float64)).max()))
            scale = max(scale, float(np.abs(expected).max()))
        case = ParityCase({k: list(v) for k, v in shapes.items()}, worst, scale)
        self.cases.append(case)
        return case

    def failure(self) -> str:
        """The worst case against its tolerance."""
        case = self.worst_case
        if case is None:
            return f"{self.graph}: no parity case ran"
        return (
            f"{self.graph}: max abs diff {case.max_abs_diff:.3g} > tolerance"
            f" {self.tolerance:.3g} x output scale {case.scale:.3g}"
        )

    def to_json(self) -> dict[str, object]:
        """JSON-ready summary."""
        return {
            "graph": self.graph,
            **({"engine": self.engine} if self.engine else {}),
            "tolerance": self.tolerance,
            "max_abs_diff": self.max_abs_diff,
            "passed": self.passed,
            "cases": [asdict(c) for c in self.cases],
        }


def psnr(a: Image.Image, b: Image.Image) -> float:
    """Peak signal-to-noise ratio of two 8-bit images in dB (``inf`` when identical)."""
    mse = np.mean((np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(255**2 / mse))


@dataclass
class ImageParity:
    """End-to-end check: images of the served pipeline against a reference pipeline's.

    Attributes:
        graph: What was checked (``"diffusion image"``).
        min_psnr_db: The bound every image must reach.
        engines: The engine/precision of each graph that drew the images.
        psnr_db: One PSNR per image, against the reference image of the same prompt and seed.
    """

    graph: str
    min_psnr_db: float
    engines: dict[str, str]
    psnr_db: list[float] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Whether every image reached the bound (and there was at least one)."""
        return bool(self.psnr_db) and min(self.psnr_db) >= self.min_psnr_db

    def to_json(self) -> dict[str, object]:
        """JSON-ready summary (identical images are reported as PSNR ``null``: infinite)."""
        return {
            "graph": self.graph,
            "engines": self.engines,
            "min_psnr_db": self.min_psnr_db,
            "psnr_db": [None if np.isinf(p) else p for p in self.psnr_db],
            "passed": self.passed,
        }

    def failure(self) -> str:
        """Why the check failed, for the export error."""
        if not self.psnr_db:
            return f"{self.graph}: no image was compared"
        return f"{self.graph}: PSNR {min(self.psnr_db):.1f} dB < {self.min_psnr_db:g} dB"


def write_report(results: Sequence[Check], path: Path) -> None:
    """Write the parity report as JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    report = {"passed": all(r.passed for r in results), "graphs": [r.to_json() for r in results]}
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def require_parity(results: Sequence[Check]) -> None:
    """Raise :class:`ParityError` naming every graph or engine that failed its check."""
    failed = [r for r in results if not r.passed]
    if failed:
        detail = "; ".join(r.failure() for r in failed)
        raise ParityError(f"exported models differ from PyTorch: {detail}")
