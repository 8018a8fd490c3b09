"""Assemble a servable Triton model repository from the tracked ``triton_models/`` templates.

The templates (``config.pbtxt`` and ``1/model.py`` per model) are the portable flavour: every
model runs in the Python backend, tensor models with ONNX Runtime inside, the summarizer on
CTranslate2. The ``native`` flavour
targets the NGC ``tritonserver:24.10-py3`` container instead: tensor models move to its
``onnxruntime`` backend on GPU instances (optionally with the TensorRT accelerator), and the
Python models that remain use GPU instances where they run graphs themselves.
"""

from __future__ import annotations

import enum
import shutil
import struct
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import NamedTuple

from google.protobuf import text_format
from tritonclient.grpc import model_config_pb2 as mc

from contract.repository import (
    CHAT_TO_IMAGE,
    DIFFUSION,
    GRAPH_FILE,
    PYTHON_MODEL_FILE,
    SUMMARIZER,
    TENSOR_MODELS,
    UNET,
    WARMUP_DIR,
    config_file,
    model_dir,
    version_dir,
)
from contract.tensors import UNET_PARALLEL_REQUESTS
from triton_models.tensor_engines import EngineChoice

# Every model, in the order they are assembled.
MODELS = (SUMMARIZER, *TENSOR_MODELS, DIFFUSION, CHAT_TO_IMAGE)
# Python models that run an engine in-process and so belong on the GPU in the native flavour.
GPU_PYTHON_MODELS = (SUMMARIZER,)


class Batching(NamedTuple):
    """A model's dynamic batching in the native flavour (max_batch_size None: the template's)."""

    preferred: tuple[int, ...]
    delay_us: int
    max_batch_size: int | None = None


# The templates batch for CPUs; GPUs gain from larger batches. The summarizer's CPU template caps
# a batch at 4 (see it); on a GPU it keeps the 8 it had before that cap (not measured on a GPU).
NATIVE_BATCHING: dict[str, Batching] = {
    SUMMARIZER: Batching((), 20_000, max_batch_size=8),
    UNET: Batching((8, 16), 2_000),
}


class Flavour(str, enum.Enum):
    """Which Triton the repository is for."""

    PORTABLE = "portable"
    NATIVE = "native"


def template_root() -> Path:
    """The tracked ``triton_models/`` package folder."""
    return Path(str(resources.files("triton_models")))


def read_config(path: Path) -> mc.ModelConfig:
    """Parse a ``config.pbtxt`` with Triton's own model-config protobuf."""
    return text_format.Parse(path.read_text("utf-8"), mc.ModelConfig())


def configured_engines(repository: Path) -> dict[str, EngineChoice]:
    """Each tensor model's engine, read from its ``config.pbtxt`` parameters."""
    choices = {}
    for name in TENSOR_MODELS:
        parameters = read_config(config_file(repository, name)).parameters
        choices[name] = EngineChoice.from_parameters(
            {key: value.string_value for key, value in parameters.items()}
        )
    return choices


def write_config(config: mc.ModelConfig, path: Path) -> None:
    """Write a ``config.pbtxt``."""
    path.write_text(text_format.MessageToString(config, as_utf8=True), encoding="utf-8")


def render_config(
    config: mc.ModelConfig,
    *,
    flavour: Flavour,
    instances: int | None = None,
    tensorrt: bool = False,
) -> mc.ModelConfig:
    """Adapt a template config to a flavour and an instance count.

    Args:
        config: The parsed template.
        flavour: Portable (Python backend everywhere) or native (NGC container, GPUs).
        instances: Instances per device; ``None`` keeps the template's count.
        tensorrt: In the native flavour, run tensor models through the TensorRT accelerator.
    """
    rendered = mc.ModelConfig()
    rendered.CopyFrom(config)
    for group in rendered.instance_group:
        if instances is not None:
            group.count = instances
    if flavour is Flavour.NATIVE:
        kind = mc.ModelInstanceGroup.KIND_GPU
        if config.name in TENSOR_MODELS:
            rendered.backend = "onnxruntime"
            rendered.default_model_filename = GRAPH_FILE
            if tensorrt:
                accelerator = (
                    rendered.optimization.execution_accelerators.gpu_execution_accelerator.add()
                )
                accelerator.name = "tensorrt"
                accelerator.parameters["precision_mode"] = "FP16"
                accelerator.parameters["max_workspace_size_bytes"] = str(4 << 30)
        elif config.name not in GPU_PYTHON_MODELS:
            kind = mc.ModelInstanceGroup.KIND_CPU
        for group in rendered.instance_group:
            group.kind = kind
            # The CPU-core rate limiter (see the templates) has no meaning on a GPU.
            group.ClearField("rate_limiter")
        if config.name == DIFFUSION:
            # One unet request per step: the GPU batches its rows (see the template).
            rendered.parameters[UNET_PARALLEL_REQUESTS].string_value = "1"
        if config.name in NATIVE_BATCHING:
            native = NATIVE_BATCHING[config.name]
            batching = rendered.dynamic_batching
            del batching.preferred_batch_size[:]
            batching.preferred_batch_size.extend(native.preferred)
            batching.max_queue_delay_microseconds = native.delay_us
            if native.max_batch_size is not None:
                rendered.max_batch_size = native.max_batch_size
    return rendered


def _serialize_bytes(text: str) -> bytes:
    """One TYPE_STRING element as Triton's raw input format: little-endian length + bytes."""
    data = text.encode("utf-8")
    return struct.pack("<I", len(data)) + data


def assemble(
    repository: Path,
    *,
    flavour: Flavour = Flavour.PORTABLE,
    instances: Mapping[str, int] | None = None,
    tensorrt: bool = False,
    parameters: Mapping[str, Mapping[str, str]] | None = None,
    engines: Mapping[str, EngineChoice] | None = None,
) -> list[Path]:
    """Write every model's config, code and warmup data into ``repository``.

    Exported graphs and their metadata are written into the same folders by the exporters;
    this only adds what is tracked in git. Returns the model folders.

    Args:
        repository: The output repository.
        flavour: Portable or native.
        instances: Instance count per model name (others keep the template's).
        tensorrt: Native flavour only: TensorRT accelerator for the tensor models.
        parameters: Config parameters per model name, set over the template's (what an
            exporter measured, e.g. the summarizer's source budget and tokenizer hash).
        engines: Portable flavour: engine, precision and static shapes per tensor model,
            written as the config parameters that the Python-backend model reads
            (:meth:`EngineChoice.parameters`).
    """
    instances = dict(instances or {})
    parameters = dict(parameters or {})
    engines = dict(engines or {})
    unknown = set(instances) - set(MODELS)
    if unknown:
        raise ValueError(f"unknown model(s) in instance counts: {sorted(unknown)}")
    folders = []
    for name in MODELS:
        source, target = model_dir(template_root(), name), model_dir(repository, name)
        version = version_dir(repository, name)
        version.mkdir(parents=True, exist_ok=True)
        native_tensor_model = flavour is Flavour.NATIVE and name in TENSOR_MODELS
        model_py = version_dir(template_root(), name) / PYTHON_MODEL_FILE
        if model_py.exists() and not native_tensor_model:
            shutil.copy2(model_py, version / PYTHON_MODEL_FILE)
        elif (version / PYTHON_MODEL_FILE).exists():
            (version / PYTHON_MODEL_FILE).unlink()
        for text in sorted((source / WARMUP_DIR).glob("*.txt")):
            warmup = target / WARMUP_DIR
            warmup.mkdir(exist_ok=True)
            (warmup / text.stem).write_bytes(_serialize_bytes(text.read_text("utf-8")))
        config = render_config(
            read_config(config_file(template_root(), name)),
            flavour=flavour,
            instances=instances.get(name),
            tensorrt=tensorrt,
        )
        for key, value in parameters.get(name, {}).items():
            config.parameters[key].string_value = value
        if name in engines and flavour is Flavour.PORTABLE:
            for key, value in engines[name].parameters().items():
                config.parameters[key].string_value = value
        write_config(config, config_file(repository, name))
        folders.append(target)
    return folders
