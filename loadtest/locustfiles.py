"""Folders of locustfiles, one per file, named by file name (scenarios and shapes)."""

from __future__ import annotations

from pathlib import Path


def locustfile_names(folder: Path) -> list[str]:
    """The locustfiles in ``folder``, by file name."""
    return sorted(path.stem for path in folder.glob("*.py") if path.stem != "__init__")


def locustfile_path(folder: Path, kind: str, name: str) -> Path:
    """The locustfile ``name`` in ``folder``.

    Raises:
        ValueError: No such file (the message names ``kind`` and the choices).
    """
    names = locustfile_names(folder)
    if name not in names:
        raise ValueError(f"unknown {kind} {name!r}; choose from {', '.join(names)}")
    return folder / f"{name}.py"
