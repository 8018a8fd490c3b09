"""Locust load shapes, one per file, added to a scenario as a second locustfile."""

from __future__ import annotations

from pathlib import Path

SHAPE_DIR = Path(__file__).parent


def shape_names() -> list[str]:
    """The shapes there are, by file name."""
    return sorted(path.stem for path in SHAPE_DIR.glob("*.py") if path.stem != "__init__")


def shape_path(name: str) -> Path:
    """The locustfile of shape ``name``.

    Raises:
        ValueError: No such shape.
    """
    if name not in shape_names():
        raise ValueError(f"unknown shape {name!r}; choose from {', '.join(shape_names())}")
    return SHAPE_DIR / f"{name}.py"
