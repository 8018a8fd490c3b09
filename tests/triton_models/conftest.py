"""Fixtures for the model tests: the diffusion loop on the exported graphs' engines, no server."""

from __future__ import annotations

from pathlib import Path

import pytest

from export.repository import configured_engines
from triton_models.diffusion_pipeline import DiffusionRunner
from triton_models.local_diffusion import local_runner


@pytest.fixture(scope="session")
def onnx_runner(tiny_repository: Path) -> DiffusionRunner:
    """The exported tiny pipeline's scheduler loop on the engines its configs name, no Triton."""
    return local_runner(tiny_repository, configured_engines(tiny_repository))
