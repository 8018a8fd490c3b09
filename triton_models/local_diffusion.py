"""The exported diffusion pipeline in one process, on the engines its model configs name.

Export's end-to-end image check, the benchmark's in-process peers and the tests use this to run
exactly the graphs, engines and precisions Triton serves, without a server. (Kept free of
tritonclient, which the Python-backend models do not need: the engines of a served repository
are read from its configs by :func:`export.repository.configured_engines`.)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from contract import tensors
from contract.repository import DIFFUSION, TENSOR_MODELS, graph_file, version_dir
from triton_models.diffusion_pipeline import DiffusionRunner
from triton_models.tensor_engines import EngineChoice, create_engine


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
        create_engine(graph_file(repository, name), engines[name], threads=threads)
        for name in TENSOR_MODELS
    )
    return DiffusionRunner.from_directory(
        version_dir(repository, DIFFUSION),
        encode_text=lambda ids: text_encoder.run(
            [tensors.TEXT_ENCODER_OUTPUT], {tensors.TEXT_ENCODER_INPUT: ids}
        )[0],
        denoise=lambda x, t, e: unet.run(
            [tensors.UNET_OUTPUT], dict(zip(tensors.UNET_INPUTS, (x, t, e), strict=True))
        )[0],
        decode=lambda z: vae_decoder.run(
            [tensors.VAE_DECODER_OUTPUT], {tensors.VAE_DECODER_INPUT: z}
        )[0],
    )
