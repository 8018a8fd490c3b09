"""Fixtures for the model tests: the diffusion loop on ONNX Runtime sessions, no server."""

from __future__ import annotations

from pathlib import Path

import pytest

from model_repository.diffusion_pipeline import DiffusionRunner
from model_repository.onnx_session import create_session


@pytest.fixture(scope="session")
def onnx_runner(tiny_repository: Path) -> DiffusionRunner:
    """The exported tiny pipeline's scheduler loop with ONNX Runtime in place of Triton."""
    text_encoder, unet, vae_decoder = (
        create_session(tiny_repository / name / "1" / "model.onnx")
        for name in ("text_encoder", "unet", "vae_decoder")
    )
    return DiffusionRunner.from_directory(
        tiny_repository / "diffusion" / "1",
        encode_text=lambda ids: text_encoder.run(None, {"input_ids": ids})[0],
        denoise=lambda x, t, e: unet.run(
            None, {"sample": x, "timestep": t, "encoder_hidden_states": e}
        )[0],
        decode=lambda z: vae_decoder.run(None, {"latent_sample": z})[0],
    )
