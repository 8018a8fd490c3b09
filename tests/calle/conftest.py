"""Fixtures for the command-line tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from export.options import ExportOptions
from export.versions import write_verdict


@pytest.fixture
def exported(tiny_repository: Path, tmp_path: Path) -> Path:
    """The session's tiny export, recorded as what ``calle export`` (no flags) would write.

    It holds the same tiny preset weights (built with the same seed); only its manifest names
    the checkpoint directory the session built, so it is rewritten and the demo's
    ``export --if-needed`` skips a second export.
    """
    repository = tmp_path / "model_repository"
    shutil.copytree(tiny_repository, repository)
    write_verdict(repository, ExportOptions(output=repository).manifest(), error=None)
    return repository
