"""Check a model repository's configs against Triton's schema and the exported ONNX graphs.

The native flavour cannot be served on this machine (no onnxruntime backend in the local
Triton), so this is how it is validated: every ``config.pbtxt`` is parsed with Triton's own
model-config protobuf, tensor models' inputs and outputs are matched to their graphs (names,
element types, shapes with the batch dimension and reshapes), and the models a Python model
calls through BLS (its ``*_model`` parameters) must exist.
"""

from __future__ import annotations

from pathlib import Path

import onnx
from google.protobuf import text_format
from tritonclient.grpc import model_config_pb2 as mc

from contract.repository import GRAPH_FILE, PYTHON_MODEL_FILE, version_dir
from export.onnx_graph import graph_io
from export.repository import read_config

# Triton data types and the ONNX element types they correspond to.
ONNX_TYPES = {
    mc.TYPE_BOOL: onnx.TensorProto.BOOL,
    mc.TYPE_UINT8: onnx.TensorProto.UINT8,
    mc.TYPE_INT8: onnx.TensorProto.INT8,
    mc.TYPE_INT32: onnx.TensorProto.INT32,
    mc.TYPE_INT64: onnx.TensorProto.INT64,
    mc.TYPE_FP16: onnx.TensorProto.FLOAT16,
    mc.TYPE_FP32: onnx.TensorProto.FLOAT,
    mc.TYPE_FP64: onnx.TensorProto.DOUBLE,
    mc.TYPE_BF16: onnx.TensorProto.BFLOAT16,
}


def _model_shape(tensor: mc.ModelInput | mc.ModelOutput, batched: bool) -> list[int]:
    """The shape the graph sees: batch dim first, reshape applied."""
    dims = list(tensor.reshape.shape) if tensor.HasField("reshape") else list(tensor.dims)
    return ([-1] if batched else []) + dims


def _compare(
    model: str,
    kind: str,
    declared: list[mc.ModelInput] | list[mc.ModelOutput],
    graph: dict[str, tuple[int, list[int | str]]],
    batched: bool,
) -> list[str]:
    problems = []
    names = {t.name for t in declared}
    problems += [
        f"{model}: graph {kind} '{n}' missing from config" for n in graph if n not in names
    ]
    for tensor in declared:
        if tensor.name not in graph:
            problems.append(f"{model}: config {kind} '{tensor.name}' is not in the graph")
            continue
        elem_type, graph_dims = graph[tensor.name]
        if ONNX_TYPES.get(tensor.data_type) != elem_type:
            problems.append(
                f"{model}: {kind} '{tensor.name}' is {mc.DataType.Name(tensor.data_type)} in the"
                f" config but ONNX type {onnx.TensorProto.DataType.Name(elem_type)} in the graph"
            )
        shape = _model_shape(tensor, batched)
        if len(shape) != len(graph_dims):
            problems.append(
                f"{model}: {kind} '{tensor.name}' has rank {len(shape)} in the config"
                f" (batch included) but {len(graph_dims)} in the graph"
            )
            continue
        for axis, (want, have) in enumerate(zip(shape, graph_dims, strict=True)):
            if isinstance(have, int) and have > 0 and want not in (-1, have):
                problems.append(
                    f"{model}: {kind} '{tensor.name}' dim {axis} is {want}, graph has {have}"
                )
            if want != -1 and not (isinstance(have, int) and have > 0):
                problems.append(
                    f"{model}: {kind} '{tensor.name}' dim {axis} is fixed at {want}"
                    f" but dynamic ('{have}') in the graph"
                )
    return problems


def _check_bls_targets(config: mc.ModelConfig, configs: dict[str, mc.ModelConfig]) -> list[str]:
    """A Python model's ``*_model`` parameters name the models it calls through BLS."""
    return [
        f"{config.name}: parameter '{key}' names unknown model '{value.string_value}'"
        for key, value in sorted(config.parameters.items())
        if key.endswith("_model") and value.string_value not in configs
    ]


def check_repository(repository: Path) -> list[str]:
    """Every problem found in ``repository``'s configs, as sentences (empty when all is well)."""
    configs: dict[str, mc.ModelConfig] = {}
    problems: list[str] = []
    for path in sorted(repository.glob("*/config.pbtxt")):
        try:
            config = read_config(path)
        except text_format.ParseError as exc:
            problems.append(f"{path.parent.name}: config does not parse: {exc}")
            continue
        if config.name != path.parent.name:
            problems.append(f"{path.parent.name}: config names the model '{config.name}'")
        configs[config.name] = config
    for name, config in configs.items():
        folder = version_dir(repository, name)
        graph = folder / (config.default_model_filename or GRAPH_FILE)
        if config.backend == "onnxruntime" or (config.backend == "python" and graph.exists()):
            if not graph.exists():
                problems.append(f"{name}: {graph.name} is missing")
                continue
            inputs, outputs = graph_io(graph)
            batched = config.max_batch_size > 0
            problems += _compare(name, "input", list(config.input), inputs, batched)
            problems += _compare(name, "output", list(config.output), outputs, batched)
        elif config.backend == "python" and not (folder / PYTHON_MODEL_FILE).exists():
            problems.append(f"{name}: python backend without {folder.name}/{PYTHON_MODEL_FILE}")
        if config.backend == "python":
            problems += _check_bls_targets(config, configs)
    return problems
