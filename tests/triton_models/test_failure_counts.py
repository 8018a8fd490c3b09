"""Triton's own counters tell failures from successes (triton_models/failures.py).

Read from the metrics port of the real tritonserver, as the dashboard and the autoscaler do:
a request a model rejects adds 1 to ``nv_inference_request_failure`` and nothing to
``nv_inference_request_success``; a failed ``chat_to_image`` call counts once.
"""

from __future__ import annotations

import re
import time
import urllib.request

import numpy as np
import pytest
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException

from calle.triton import TritonServer
from contract.rejections import REJECTED

from .test_triton_serving import DIALOGUE, int_input, text_input

pytestmark = pytest.mark.triton


@pytest.fixture(scope="module")
def client(triton_server: TritonServer):
    with grpcclient.InferenceServerClient(triton_server.grpc_url) as client:
        yield client


def _counts(server: TritonServer, model: str) -> tuple[float, float]:
    """(successes, failures of every reason) of ``model`` on Triton's metrics port."""
    text = urllib.request.urlopen(server.metrics_url, timeout=10).read().decode()
    labels = rf'\{{model="{model}",(?:reason="\w+",)?version="1"\}}'
    success = re.findall(rf"^nv_inference_request_success{labels} (\S+)$", text, re.MULTILINE)
    failure = re.findall(rf"^nv_inference_request_failure{labels} (\S+)$", text, re.MULTILINE)
    assert success, f"no success counter for {model}"
    assert failure, f"no failure counters for {model}"
    return sum(map(float, success)), sum(map(float, failure))


def _after(server: TritonServer, model: str, before: tuple[float, float], expected: tuple):
    """The change of ``model``'s counters since ``before``, once it reached ``expected``.

    Triton reports a request's statistics just after its response, so they are polled briefly.
    """
    deadline = time.monotonic() + 10
    while True:
        now = _counts(server, model)
        delta = (now[0] - before[0], now[1] - before[1])
        if delta == expected or time.monotonic() > deadline:
            return delta
        time.sleep(0.1)


def _seed_input(seed: int) -> grpcclient.InferInput:
    tensor = grpcclient.InferInput("seed", [1, 1], "INT64")
    tensor.set_data_from_numpy(np.array([[seed]], dtype=np.int64))
    return tensor


def test_a_rejected_diffusion_request_counts_as_one_failure(triton_server, client) -> None:
    before = _counts(triton_server, "diffusion")
    with pytest.raises(InferenceServerException, match="steps must be between 1 and 100") as err:
        client.infer("diffusion", [text_input("prompt", ["바다"]), int_input("steps", 0)])
    assert REJECTED in err.value.message()
    assert _after(triton_server, "diffusion", before, (0, 1)) == (0, 1)
    client.infer("diffusion", [text_input("prompt", ["바다"]), int_input("steps", 1)])
    assert _after(triton_server, "diffusion", before, (1, 1)) == (1, 1)


def test_a_failed_chat_to_image_call_counts_once(triton_server, client) -> None:
    before = _counts(triton_server, "chat_to_image")
    with pytest.raises(InferenceServerException, match=r"summarizer: .*is empty"):
        client.infer("chat_to_image", [text_input("dialogue", ["   "])])
    assert _after(triton_server, "chat_to_image", before, (0, 1)) == (0, 1)


def test_chat_to_image_takes_an_optional_seed(triton_server, client) -> None:
    def draw(seed: int) -> grpcclient.InferResult:
        return client.infer(
            "chat_to_image", [text_input("dialogue", [DIALOGUE]), _seed_input(seed)]
        )

    first, again, other = draw(11), draw(11), draw(12)
    assert first.as_numpy("seed")[0, 0] == 11
    assert first.as_numpy("image")[0, 0] == again.as_numpy("image")[0, 0]
    assert first.as_numpy("image")[0, 0] != other.as_numpy("image")[0, 0]
    assert first.as_numpy("summary")[0, 0] == other.as_numpy("summary")[0, 0]
    unseeded = client.infer("chat_to_image", [text_input("dialogue", [DIALOGUE])])
    assert unseeded.as_numpy("seed")[0, 0] >= 0


def test_a_rejected_summarizer_request_counts_as_one_failure(triton_server, client) -> None:
    before = _counts(triton_server, "summarizer")
    with pytest.raises(InferenceServerException, match="'num_beams' must be between 1 and 16"):
        client.infer(
            "summarizer", [text_input("dialogue", [DIALOGUE]), int_input("num_beams", 999)]
        )
    assert _after(triton_server, "summarizer", before, (0, 1)) == (0, 1)
