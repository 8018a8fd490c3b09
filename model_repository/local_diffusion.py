"""The exported diffusion pipeline in one process, on the engines its model configs name.

Export's end-to-end image check, the benchmark's in-process peers and the tests use this to run
exactly the graphs, engines and precisions Triton serves, without a server. (Kept free of
tritonclient, which the Python-backend models do not need: the engines of a served repository
are read from its configs by :func:`export.repository.configured_engines`.)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from model_repository.diffusion_pipeline import (
    TEXT_ENCODER_INPUT,
    TEXT_ENCODER_OUTPUT,
    UNET_INPUTS,
    UNET_OUTPUT,
    VAE_DECODER_INPUT,
    VAE_DECODER_OUTPUT,
    DiffusionRunner,
)
from model_repository.tensor_engines import EngineChoice, create_engine

GRAPH = "model.onnx"
TENSOR_MODELS = ("text_encoder", "unet", "vae_decoder")


def local_runner(
    repository: Path,
    engines: Mapping[str, EngineChoice],
    *,
    threads: int | None = None,
) -> DiffusionRunner:
    """A :class:`DiffusionRunner` calling the exported graphs directly.

    Args:
        repository: An exported model repository.
        engines: Engine per tensor model (a served repository's:
            :func:`export.repository.configured_engines`).
        threads: Threads per engine (default ``CALLE_ORT_THREADS`` or 1, as in Triton).
    """
    text_encoder, unet, vae_decoder = (
        create_engine(repository / name / "1" / GRAPH, engines[name], threads=threads)
        for name in TENSOR_MODELS
    )
    return DiffusionRunner.from_directory(
        repository / "diffusion" / "1",
        encode_text=lambda ids: text_encoder.run([TEXT_ENCODER_OUTPUT], {TEXT_ENCODER_INPUT: ids})[
            0
        ],
        denoise=lambda x, t, e: unet.run(
            [UNET_OUTPUT], dict(zip(UNET_INPUTS, (x, t, e), strict=True))
        )[0],
        decode=lambda z: vae_decoder.run([VAE_DECODER_OUTPUT], {VAE_DECODER_INPUT: z})[0],
    )
