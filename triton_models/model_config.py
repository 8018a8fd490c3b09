"""What a Python-backend model reads from the arguments Triton hands its ``initialize``.

Every model here reads its config parameters and its version folder the same way; kept free of
``triton_python_backend_utils`` so it is unit-tested without a server.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any


def string_parameters(config: Mapping[str, Any]) -> dict[str, str]:
    """The config's ``parameters`` as ``{key: string_value}`` (Triton wraps every value)."""
    return {
        key: value.get("string_value", "") for key, value in config.get("parameters", {}).items()
    }


def version_folder(args: Mapping[str, str]) -> Path:
    """The instance's version folder, where export wrote the files next to ``model.py``."""
    return Path(args["model_repository"]) / args["model_version"]
