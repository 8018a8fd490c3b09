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

from export import diffusion_checkpoints, summarizer_checkpoints
from export.diffusion_checkpoints import build_diffusion
from export.summarizer_checkpoints import build_summarizer

Builder = Callable[..., Path]


@dataclass(frozen=True)
class Preset:
    """Builders of the two checkpoints a preset stands for, and its serving defaults."""

    summarizer: Builder
    diffusion: Builder
    diffusion_steps: int


PRESETS: dict[str, Preset] = {
    "tiny": Preset(
        partial(build_summarizer, sizes=summarizer_checkpoints.TINY),
        partial(build_diffusion, sizes=diffusion_checkpoints.TINY),
        20,
    ),
    "small": Preset(
        partial(build_summarizer, sizes=summarizer_checkpoints.KOBART_BASE),
        partial(build_diffusion, sizes=diffusion_checkpoints.SMALL),
        25,
    ),
}
