"""The generic ONNX Triton model, driven in-process through a stand-in for ``pb_utils``.

``triton_python_backend_utils`` is the real file from the nvidia-pytriton wheel; only the classes
the Python-backend stub injects into it at run time (tensors, responses, errors) are stand-ins.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import onnx
import pytest
import pytriton
from onnx import TensorProto, helper


class FakeTensor:
    def __init__(self, name: str, array: np.ndarray) -> None:
        self._name, self._array = name, array

    def name(self) -> str:
        return self._name

    def as_numpy(self) -> np.ndarray:
        return self._array


class FakeError(Exception):
    INVALID_ARG, INTERNAL = 3, 13

    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.code = code

    def message(self) -> str:
        return str(self)


class FakeResponse:
    def __init__(self, output_tensors=None, error=None) -> None:
        self.outputs = {t.name(): t.as_numpy() for t in output_tensors or []}
        self.error = error


class FakeRequest:
    def __init__(self, **arrays: np.ndarray) -> None:
        self._inputs = [FakeTensor(name, array) for name, array in arrays.items()]

    def inputs(self) -> list[FakeTensor]:
        return self._inputs


@pytest.fixture
def tensor_model(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    path = Path(pytriton.__file__).parent / "tritonserver/backends/python"
    spec = importlib.util.spec_from_file_location(
        "triton_python_backend_utils", path / "triton_python_backend_utils.py"
    )
    pb_utils = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pb_utils)
    pb_utils.Tensor, pb_utils.TritonError = FakeTensor, FakeError
    pb_utils.InferenceResponse = FakeResponse
    monkeypatch.setitem(sys.modules, "triton_python_backend_utils", pb_utils)
    monkeypatch.delitem(sys.modules, "triton_models.onnx_tensor_model", raising=False)
    return importlib.import_module("triton_models.onnx_tensor_model")


def _write_graph(path: Path) -> None:
    """``y = x * t[:, None]`` with ``x`` [batch, n] and a per-row ``t`` [batch]."""
    axes = helper.make_tensor("axes", TensorProto.INT64, [1], [1])
    graph = helper.make_graph(
        [
            helper.make_node("Unsqueeze", ["t", "axes"], ["t2"]),
            helper.make_node("Mul", ["x", "t2"], ["y"]),
        ],
        "scale",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "n"]),
            helper.make_tensor_value_info("t", TensorProto.FLOAT, ["batch"]),
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "n"])],
        initializer=[axes],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    path.parent.mkdir(parents=True)
    onnx.save(model, path)


def _initialize(tensor_model: ModuleType, tmp_path: Path, **parameters: str):
    """Initialize the model on the ``scale`` graph with these config parameters."""
    if not (tmp_path / "scale" / "1" / "model.onnx").exists():
        _write_graph(tmp_path / "scale" / "1" / "model.onnx")
    config = {
        "name": "scale",
        "max_batch_size": 8,
        "input": [
            {"name": "x", "data_type": "TYPE_FP32", "dims": ["-1"]},
            {"name": "t", "data_type": "TYPE_FP32", "dims": ["1"], "reshape": {"shape": []}},
        ],
        "output": [{"name": "y", "data_type": "TYPE_FP32", "dims": ["-1"]}],
        "parameters": {key: {"string_value": value} for key, value in parameters.items()},
    }
    instance = tensor_model.TritonPythonModel()
    instance.initialize(
        {
            "model_config": json.dumps(config),
            "model_repository": str(tmp_path / "scale"),
            "model_version": "1",
            "model_instance_kind": "CPU",
        }
    )
    return instance


# OpenVINO compiled for rows of width 3 in batches of 1 and 2 (others: its dynamic compile).
STATIC = {"static_batch_sizes": "1,2", "static_row_shapes": "x:3;t:"}


@pytest.fixture(params=["onnxruntime", "openvino", "openvino-static"])
def model(request: pytest.FixtureRequest, tensor_model: ModuleType, tmp_path: Path):
    """The model on each engine (float32); the batching behaviour must not depend on it."""
    if request.param == "openvino-static":
        return _initialize(tensor_model, tmp_path, engine="openvino", **STATIC)
    return _initialize(tensor_model, tmp_path, engine=request.param)


def test_the_config_picks_the_engine(tensor_model: ModuleType, tmp_path: Path) -> None:
    from triton_models.tensor_engines import OnnxRuntimeEngine, OpenVinoEngine

    assert isinstance(_initialize(tensor_model, tmp_path).engine, OnnxRuntimeEngine)
    model = _initialize(tensor_model, tmp_path, engine="openvino", precision="f32")
    assert isinstance(model.engine, OpenVinoEngine)
    (compiled,) = model.engine.compiled_models()
    assert compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name() == "f32"
    # Each Triton instance is a process of its own: pinned, they would all share the first core.
    assert compiled.get_property("ENABLE_CPU_PINNING") is False
    with pytest.raises(ValueError, match="engine must be one of onnxruntime, openvino"):
        _initialize(tensor_model, tmp_path, engine="tensorflow")
    with pytest.raises(ValueError, match="bf16 needs the openvino engine"):
        _initialize(tensor_model, tmp_path, engine="onnxruntime", precision="bf16")


def test_bf16_runs_in_bf16_or_refuses(tensor_model: ModuleType, tmp_path: Path) -> None:
    """OpenVINO would quietly compute in float32 on a CPU without bf16; the model refuses."""
    from triton_models.tensor_engines import EngineUnavailableError, cpu_has_bf16

    if not cpu_has_bf16():
        with pytest.raises(EngineUnavailableError, match="bf16 needs a CPU with native bf16"):
            _initialize(tensor_model, tmp_path, engine="openvino", precision="bf16")
        return
    model = _initialize(tensor_model, tmp_path, engine="openvino", precision="bf16")
    (compiled,) = model.engine.compiled_models()
    assert compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name() == "bf16"
    (response,) = model.execute([_request(2, 3, 0.5)])
    np.testing.assert_allclose(response.outputs["y"], np.arange(6).reshape(2, 3) * 0.5, rtol=1e-2)


def test_static_shapes_are_compiled_before_the_first_request(
    tensor_model: ModuleType, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """One compile per batch size at initialize; a batch of 5 runs as 2 + 2 + 1 on them."""
    model = _initialize(tensor_model, tmp_path, engine="openvino", **STATIC)
    compiled = model.engine.compiled_models()
    assert [c.input("x").get_shape().to_string() for c in compiled] == ["[1,3]", "[2,3]"]
    for c in compiled:
        assert c.get_property("INFERENCE_PRECISION_HINT").get_type_name() == "f32"
        assert c.get_property("ENABLE_CPU_PINNING") is False
    requests = [_request(3, 3, 2.0), _request(2, 3, -1.0)]
    for request, response in zip(requests, model.execute(requests), strict=True):
        x, t = (tensor.as_numpy() for tensor in request.inputs())
        np.testing.assert_array_equal(response.outputs["y"], x * t)
    assert len(model.engine.compiled_models()) == 2  # no dynamic compile for these
    with caplog.at_level(logging.WARNING, logger="triton_models.tensor_engines"):
        (response,) = model.execute([_request(2, 5, 3.0)])
    np.testing.assert_array_equal(response.outputs["y"], np.arange(10).reshape(2, 5) * 3.0)
    assert len(model.engine.compiled_models()) == 3
    assert "compiling for dynamic shapes" in caplog.text


def test_static_shapes_need_openvino(tensor_model: ModuleType, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="static shapes need the openvino engine"):
        _initialize(tensor_model, tmp_path, engine="onnxruntime", **STATIC)
    with pytest.raises(ValueError, match="bad static shapes"):
        _initialize(tensor_model, tmp_path, engine="openvino", static_batch_sizes="1,two")


def _request(rows: int, width: int, scale: float) -> FakeRequest:
    x = np.arange(rows * width, dtype=np.float32).reshape(rows, width)
    return FakeRequest(x=x, t=np.full((rows, 1), scale, dtype=np.float32))


def test_batched_requests_get_their_own_rows_back(model, monkeypatch) -> None:
    calls = []
    run = model.engine.run
    monkeypatch.setattr(model.engine, "run", lambda *a: calls.append(a) or run(*a))
    requests = [_request(1, 3, 2.0), _request(3, 3, 10.0), _request(2, 3, -1.0)]
    responses = model.execute(requests)
    assert len(calls) == 1  # one engine call for the whole batch
    assert [r.error for r in responses] == [None] * 3
    for request, response in zip(requests, responses, strict=True):
        x, t = (tensor.as_numpy() for tensor in request.inputs())
        np.testing.assert_array_equal(response.outputs["y"], x * t)


def test_requests_of_other_shapes_run_separately(model) -> None:
    responses = model.execute([_request(2, 3, 2.0), _request(1, 5, 3.0)])
    assert [r.outputs["y"].shape for r in responses] == [(2, 3), (1, 5)]


def test_a_bad_request_fails_alone(model) -> None:
    missing = FakeRequest(x=np.ones((1, 3), dtype=np.float32))
    responses = model.execute([missing, _request(1, 3, 2.0)])
    assert responses[0].error.code == FakeError.INVALID_ARG
    assert "input 't' is missing" in responses[0].error.message()
    assert responses[1].error is None


def test_a_failing_run_answers_every_request_with_an_error(model, monkeypatch) -> None:
    def fail(*args):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(model.engine, "run", fail)
    responses = model.execute([_request(1, 3, 2.0), _request(2, 3, 2.0)])
    assert [r.error.code for r in responses] == [FakeError.INTERNAL] * 2
    assert all("scale: out of memory" in r.error.message() for r in responses)
