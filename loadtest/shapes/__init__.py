"""Locust load shapes, one per file, added to a scenario as a second locustfile."""

from __future__ import annotations

from pathlib import Path

from loadtest.locustfiles import locustfile_names, locustfile_path

SHAPE_DIR = Path(__file__).parent


def shape_names() -> list[str]:
    """The shapes there are, by file name."""
    return locustfile_names(SHAPE_DIR)


def shape_path(name: str) -> Path:
    """The locustfile of shape ``name`` (``ValueError`` if there is none)."""
    return locustfile_path(SHAPE_DIR, "shape", name)
