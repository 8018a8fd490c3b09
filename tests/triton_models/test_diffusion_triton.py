"""The diffusion models on the real tritonserver: PNGs over gRPC and UNet steps batched."""

from __future__ import annotations

import io
import re
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import tritonclient.grpc as grpcclient
from PIL import Image
from tritonclient.utils import InferenceServerException

from calle.triton import TritonServer
from contract.rejections import rejection_reason
from triton_models.diffusion_pipeline import DiffusionRunner

pytestmark = pytest.mark.triton

PROMPT = "친구들이 부산 바다 앞에서 함께 웃고 있는 따뜻한 그림"


@pytest.fixture(scope="module")
def server(triton_server: TritonServer) -> TritonServer:
    return triton_server


@pytest.fixture
def client(server: TritonServer) -> grpcclient.InferenceServerClient:
    with grpcclient.InferenceServerClient(server.grpc_url) as client:
        yield client


def _request(
    client: grpcclient.InferenceServerClient, prompt: str, **values: object
) -> grpcclient.InferResult:
    types = {"seed": ("INT64", np.int64), "steps": ("INT32", np.int32)}
    types |= {"height": ("INT32", np.int32), "width": ("INT32", np.int32)}
    types |= {"guidance_scale": ("FP32", np.float32), "scheduler": ("BYTES", np.object_)}
    inputs = []
    for name, value in {"prompt": prompt, **values}.items():
        datatype, dtype = types.get(name, ("BYTES", np.object_))
        tensor = grpcclient.InferInput(name, [1, 1], datatype)
        data = value.encode() if isinstance(value, str) else value
        tensor.set_data_from_numpy(np.array([[data]], dtype=dtype))
        inputs.append(tensor)
    return client.infer("diffusion", inputs, client_timeout=120)


def test_png_equals_in_process_runner(client, onnx_runner: DiffusionRunner) -> None:
    result = _request(client, PROMPT, seed=7, steps=8, scheduler="euler")
    png = result.as_numpy("image")[0, 0]
    assert png.startswith(b"\x89PNG")
    served = np.asarray(Image.open(io.BytesIO(png)))
    settings = onnx_runner.settings(steps=8, scheduler="euler")
    expected = onnx_runner.generate([PROMPT], [7], settings)[0]
    assert served.shape == (64, 64, 3)
    assert np.abs(served.astype(int) - np.asarray(expected).astype(int)).max() <= 1
    assert result.as_numpy("seed")[0, 0] == 7


def test_a_lone_guided_step_is_two_unet_requests(server: TritonServer, client) -> None:
    before = _counters(server, "unet")
    _request(client, PROMPT, seed=1, steps=3)
    after = _counters_once_reported(server, "unet", before[1] + 3 * 2)
    assert after[1] - before[1] == 3 * 2
    # Unguided steps have one row: nothing to split.
    _request(client, PROMPT, seed=1, steps=3, guidance_scale=1.0)
    assert _counters_once_reported(server, "unet", after[1] + 3)[1] - after[1] == 3


def test_missing_seed_is_drawn_and_returned(client) -> None:
    result = _request(client, PROMPT, steps=2)
    assert result.as_numpy("seed")[0, 0] >= 0


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"steps": 0}, "steps must be between 1 and 100"),
        ({"height": 50}, "height must be a multiple of 16"),
        ({"scheduler": "pndm"}, "scheduler must be one of"),
        ({"guidance_scale": 31.0}, "guidance_scale must be between 0 and 30"),
    ],
)
def test_bad_input_is_an_error_and_server_keeps_serving(client, values, message) -> None:
    with pytest.raises(InferenceServerException, match=message) as raised:
        _request(client, PROMPT, **values)
    # Raised so that Triton counts the failure: status INTERNAL, the reason marked a rejection.
    assert rejection_reason(raised.value.message()).startswith(message)
    assert _request(client, PROMPT, steps=1).as_numpy("image")[0, 0].startswith(b"\x89PNG")


def _counters(server: TritonServer, model: str) -> tuple[float, float]:
    """(executions, requests) of ``model`` from Triton's metrics port."""
    text = urllib.request.urlopen(server.metrics_url, timeout=10).read().decode()

    def value(metric: str) -> float:
        match = re.search(rf'^{metric}{{model="{model}",version="1"}} (\S+)$', text, re.MULTILINE)
        assert match, f"{metric} for {model} missing from metrics"
        return float(match.group(1))

    return value("nv_inference_exec_count"), value("nv_inference_request_success")


def _counters_once_reported(
    server: TritonServer, model: str, requests: float, timeout_s: float = 10.0
) -> tuple[float, float]:
    """``_counters`` once ``model`` has reported ``requests`` successes.

    A model records an execution's statistics after sending its responses, so a client that has
    all its answers can still read the metrics a moment before the last execution is counted.
    """
    deadline = time.monotonic() + timeout_s
    while (counters := _counters(server, model))[1] < requests and time.monotonic() < deadline:
        time.sleep(0.1)
    return counters


def test_concurrent_requests_share_unet_executions(server: TritonServer) -> None:
    before = {model: _counters(server, model) for model in ("unet", "diffusion")}

    def generate(seed: int) -> bytes:
        with grpcclient.InferenceServerClient(server.grpc_url) as client:
            return _request(client, PROMPT, seed=seed, steps=10).as_numpy("image")[0, 0]

    with ThreadPoolExecutor(8) as pool:
        images = list(pool.map(generate, range(8)))
    # Each guided step goes to the unet as two requests of one row each (the template's
    # unet_parallel_requests), so that a lone step can use both unet instances.
    after = {
        model: _counters_once_reported(server, model, before[model][1] + 8 * calls)
        for model, calls in (("unet", 10 * 2), ("diffusion", 1))
    }
    executions, requests = (a - b for a, b in zip(after["unet"], before["unet"], strict=True))
    assert len(set(images)) == 8
    assert requests == 8 * 10 * 2
    # Steps of different requests merged: batches formed across requests.
    assert executions < requests
    # The diffusion loops themselves ran one request per execution, side by side.
    diffusion = [a - b for a, b in zip(after["diffusion"], before["diffusion"], strict=True)]
    assert diffusion == [8, 8]
