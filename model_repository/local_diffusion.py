"""The exported diffusion pipeline in one process, on the engines its model configs name.

Export's end-to-end image check, the benchmark's in-process peers and the tests use this to run
exactly the graphs, engines and precisions Triton serves, without a server.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from google.protobuf import text_format
from tritonclient.grpc import model_config_pb2 as mc

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


def configured_engines(repository: Path) -> dict[str, EngineChoice]:
    """The ``engine``/``precision`` parameters of each tensor model's ``config.pbtxt``."""
    choices = {}
    for name in TENSOR_MODELS:
        config = text_format.Parse(
            (repository / name / "config.pbtxt").read_text("utf-8"), mc.ModelConfig()
        )
        parameters = {key: value.string_value for key, value in config.parameters.items()}
        choices[name] = EngineChoice(
            parameters.get("engine") or EngineChoice.engine,
            parameters.get("precision") or EngineChoice.precision,
        )
    return choices


def local_runner(
    repository: Path,
    engines: Mapping[str, EngineChoice] | None = None,
    *,
    threads: int | None = None,
) -> DiffusionRunner:
    """A :class:`DiffusionRunner` calling the exported graphs directly.

    Args:
        repository: An exported model repository.
        engines: Engine per tensor model; read from the configs when ``None``.
        threads: Threads per engine (default ``CALLE_ORT_THREADS`` or 1, as in Triton).
    """
    engines = configured_engines(repository) if engines is None else engines
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
