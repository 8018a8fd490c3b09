"""What the Python models read from Triton's ``initialize`` arguments."""

from __future__ import annotations

from pathlib import Path

from triton_models.model_config import string_parameters, version_folder


def test_string_parameters_unwrap_every_value() -> None:
    config = {
        "parameters": {
            "unet_model": {"string_value": "unet"},
            "intra_op_threads": {},  # Triton leaves out an empty string_value
        }
    }
    assert string_parameters(config) == {"unet_model": "unet", "intra_op_threads": ""}
    assert string_parameters({}) == {}


def test_version_folder_is_the_model_folder_and_version() -> None:
    args = {"model_repository": "/models/current/unet", "model_version": "1"}
    assert version_folder(args) == Path("/models/current/unet/1")
