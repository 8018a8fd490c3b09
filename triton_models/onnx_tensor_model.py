"""One Triton Python-backend model for every exported ONNX graph (text encoder, UNet, VAE decoder).

The NGC container serves these graphs with its native onnxruntime backend; the Triton build that
runs on our CPU machines has only the Python backend, so this model does the same job there:
it opens ``model.onnx`` from its version folder with the engine and precision export chose
(config parameters ``engine`` and ``precision``: ONNX Runtime or OpenVINO, see
:mod:`triton_models.tensor_engines`) and reads tensor names and dtypes from the model
config. Triton's dynamic batcher hands ``execute`` several requests at once; they are
concatenated along the batch dimension and run as one engine call, which is what makes
batching pay, then split back into exactly one response per request.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import triton_python_backend_utils as pb_utils

from contract.repository import GRAPH_FILE
from contract.tensors import INTRA_OP_THREADS
from triton_models.model_config import string_parameters, version_folder
from triton_models.tensor_engines import EngineChoice, create_engine

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TensorSpec:
    """One input or output of the model config.

    Attributes:
        name: Tensor name (the graph's name too).
        dtype: NumPy dtype of ``data_type``.
        reshape: Shape without the batch dim that the graph expects, when the config reshapes.
            Triton's Python backend hands inputs over in their ``dims`` shape and leaves the
            ``reshape`` to the model, as the native backends do it themselves.
    """

    name: str
    dtype: np.dtype
    reshape: tuple[int, ...] | None

    @classmethod
    def from_config(cls, entry: dict[str, Any]) -> TensorSpec:
        """Build from one ``input``/``output`` entry of the JSON model config."""
        reshape = entry.get("reshape")
        return cls(
            name=entry["name"],
            dtype=np.dtype(pb_utils.triton_string_to_numpy(entry["data_type"])),
            reshape=None if reshape is None else tuple(int(d) for d in reshape.get("shape", [])),
        )


class TritonPythonModel:
    """Runs ``<version>/model.onnx`` with ONNX Runtime or OpenVINO on batches of requests."""

    def initialize(self, args: dict[str, str]) -> None:
        """Open the graph and read the tensor specs from the model config.

        Optional config parameters: ``engine`` (``onnxruntime``, the default, or ``openvino``),
        ``precision`` (``f32``, the default, or ``bf16``), ``static_batch_sizes`` and
        ``static_row_shapes`` (OpenVINO compiles for those shapes here, before the model is
        ready) and ``intra_op_threads``, the engine's threads per instance (else
        ``CALLE_ORT_THREADS`` or 1: several instances share the cores).
        """
        config = json.loads(args["model_config"])
        self.name = config["name"]
        if int(config.get("max_batch_size", 0)) <= 0:
            raise ValueError(f"{self.name}: needs max_batch_size > 0 to batch requests")
        self.inputs = [TensorSpec.from_config(entry) for entry in config["input"]]
        self.outputs = [TensorSpec.from_config(entry) for entry in config["output"]]
        parameters = string_parameters(config)
        threads = parameters.get(INTRA_OP_THREADS)
        choice = EngineChoice.from_parameters(parameters)
        # Not the config's default_model_filename: for the Python backend that names model.py.
        path = version_folder(args) / GRAPH_FILE
        self.engine = create_engine(
            path,
            choice,
            threads=int(threads) if threads else None,
            use_gpu=args.get("model_instance_kind") == "GPU",
        )
        log.info("%s: serving %s with %s", self.name, path, choice)

    def execute(self, requests: list[Any]) -> list[Any]:
        """Run all requests with the same per-row shapes as one batch; one response each."""
        responses: list[Any] = [None] * len(requests)
        groups: dict[tuple[tuple[int, ...], ...], list[tuple[int, dict[str, np.ndarray]]]] = {}
        for index, request in enumerate(requests):
            try:
                feeds = self._read(request)
            except ValueError as exc:
                responses[index] = _error(f"{self.name}: {exc}", pb_utils.TritonError.INVALID_ARG)
                continue
            # Triton only batches equal shapes; grouping keeps a mixed call correct anyway.
            key = tuple(array.shape[1:] for array in feeds.values())
            groups.setdefault(key, []).append((index, feeds))
        for members in groups.values():
            self._run(members, responses)
        return responses

    def _read(self, request: Any) -> dict[str, np.ndarray]:
        feeds = {}
        for spec in self.inputs:
            tensor = pb_utils.get_input_tensor_by_name(request, spec.name)
            if tensor is None:
                raise ValueError(f"input {spec.name!r} is missing")
            array = tensor.as_numpy()
            if spec.reshape is not None:
                array = array.reshape((array.shape[0], *spec.reshape))
            feeds[spec.name] = array
        rows = {array.shape[0] for array in feeds.values()}
        if len(rows) != 1:
            raise ValueError(f"inputs disagree on the batch size: {sorted(rows)}")
        return feeds

    def _run(self, members: list[tuple[int, dict[str, np.ndarray]]], responses: list[Any]) -> None:
        indices = [index for index, _ in members]
        try:
            feeds = {
                spec.name: np.concatenate([feeds[spec.name] for _, feeds in members])
                for spec in self.inputs
            }
            outputs = self.engine.run([spec.name for spec in self.outputs], feeds)
        except Exception as exc:  # engines raise their own types; every request must answer
            log.exception("%s: batch of %d requests failed", self.name, len(members))
            for index in indices:
                responses[index] = _error(f"{self.name}: {exc}", pb_utils.TritonError.INTERNAL)
            return
        rows = [next(iter(feeds.values())).shape[0] for _, feeds in members]
        bounds = np.cumsum(rows)[:-1]
        parts = [np.split(output, bounds) for output in outputs]
        for position, index in enumerate(indices):
            tensors = [
                pb_utils.Tensor(spec.name, part[position].astype(spec.dtype, copy=False))
                for spec, part in zip(self.outputs, parts, strict=True)
            ]
            responses[index] = pb_utils.InferenceResponse(output_tensors=tensors)


def _error(message: str, code: int) -> Any:
    return pb_utils.InferenceResponse(error=pb_utils.TritonError(message, code))
