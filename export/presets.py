"""Named presets: which checkpoints to build when no real one is given.

``tiny`` (the default) builds random-weight models of the real architectures in seconds so that
everything runs end to end anywhere; ``small`` uses KoBART-base sizes and a small 256x256 UNet,
for CPU benchmarks. Real checkpoints are given by hub id or local directory instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from export.diffusion_checkpoints import build_small_diffusion, build_tiny_diffusion
from export.summarizer_checkpoints import KOBART_BASE, TINY, build_summarizer

Builder = Callable[..., Path]


@dataclass(frozen=True)
class Preset:
    """Builders of the two checkpoints a preset stands for, and its serving defaults."""

    summarizer: Builder
    diffusion: Builder
    diffusion_steps: int


PRESETS: dict[str, Preset] = {
    "tiny": Preset(partial(build_summarizer, sizes=TINY), build_tiny_diffusion, 20),
    "small": Preset(partial(build_summarizer, sizes=KOBART_BASE), build_small_diffusion, 25),
}
