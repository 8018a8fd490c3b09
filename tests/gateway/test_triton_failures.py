"""What clients see when Triton pushes back or goes away, over HTTP and gRPC.

A dedicated Triton serves the diffusion models only, with one ``diffusion`` instance and a queue
of one request: Triton 2.51 rejects the next ones with gRPC UNAVAILABLE "Exceeds maximum queue
size", which the gateway answers with 429 / RESOURCE_EXHAUSTED. The same Triton is then stopped:
503 / UNAVAILABLE. (Tests run in file order: the stop comes last.)
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import httpx
import pytest
from google.protobuf import text_format

from calle.triton import TritonServer
from export.repository import read_config
from gateway.grpc.generated import calle_pb2, calle_pb2_grpc
from tests.conftest import start_server
from tests.gateway.conftest import GatewayFactory
from tests.gateway.helpers import GatewayProcess

pytestmark = pytest.mark.triton

DIFFUSION_MODELS = ("text_encoder", "unet", "vae_decoder", "diffusion")
SLOW_IMAGE = {"prompt": "부산 바다", "steps": 40}
CONCURRENT = 6


@pytest.fixture(scope="module")
def queue_triton(
    tiny_repository: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TritonServer]:
    """Triton with the diffusion models, one diffusion instance and a one-request queue."""
    repository = tmp_path_factory.mktemp("queue") / "model_repository"
    for name in DIFFUSION_MODELS:
        shutil.copytree(tiny_repository / name, repository / name)
    path = repository / "diffusion" / "config.pbtxt"
    config = read_config(path)
    config.instance_group[0].count = 1
    config.dynamic_batching.default_queue_policy.max_queue_size = 1
    path.write_text(text_format.MessageToString(config, as_utf8=True), encoding="utf-8")
    server = start_server(repository, repository.parent)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def queue_gateway(gateway_factory: GatewayFactory, queue_triton: TritonServer) -> GatewayProcess:
    """A gateway without a concurrency limit of its own in the way."""
    return gateway_factory(
        "queue", queue_triton.grpc_port, ready_path="/healthz", max_concurrency=64
    )


def at_once(call: Callable[[], object], times: int = CONCURRENT) -> list[object]:
    with ThreadPoolExecutor(times) as pool:
        return list(pool.map(lambda _: call(), range(times)))


def grpc_outcome(gateway: GatewayProcess) -> Callable[[], object]:
    def call() -> object:
        with grpc.insecure_channel(gateway.grpc_target) as channel:
            stub = calle_pb2_grpc.CalleStub(channel)
            options = calle_pb2.ImageOptions(steps=SLOW_IMAGE["steps"])
            try:
                stub.GenerateImage(
                    calle_pb2.GenerateImageRequest(prompt=SLOW_IMAGE["prompt"], options=options)
                )
            except grpc.RpcError as error:
                return error.code(), dict(error.trailing_metadata() or ())
            return grpc.StatusCode.OK, {}

    return call


def test_a_full_model_queue_is_429_with_retry_after(queue_gateway):
    answers = at_once(lambda: httpx.post(queue_gateway.url + "/v1/images", json=SLOW_IMAGE))

    statuses = [answer.status_code for answer in answers]
    assert set(statuses) == {200, 429}, statuses
    for answer in answers:
        if answer.status_code == 429:
            assert answer.headers["Retry-After"] == "2"
            assert answer.json()["error"]["code"] == "model_queue_full"
    metrics = httpx.get(queue_gateway.url + "/metrics").text
    assert 'calle_triton_errors_total{kind="model_queue_full"}' in metrics


def test_a_full_model_queue_is_resource_exhausted_over_grpc(queue_gateway):
    outcomes = at_once(grpc_outcome(queue_gateway))

    codes = {code for code, _ in outcomes}
    assert codes == {grpc.StatusCode.OK, grpc.StatusCode.RESOURCE_EXHAUSTED}, outcomes
    refused = [metadata for code, metadata in outcomes if code != grpc.StatusCode.OK]
    assert all(m["calle-error-code"] == "model_queue_full" for m in refused)
    assert all(m["retry-after"] == "2" for m in refused)


def test_a_stopped_triton_is_503_and_unavailable(queue_gateway, queue_triton):
    queue_triton.stop()

    image = httpx.post(queue_gateway.url + "/v1/images", json={"prompt": "x"})
    ready = httpx.get(queue_gateway.url + "/readyz")
    code, metadata = grpc_outcome(queue_gateway)()

    assert image.status_code == 503
    assert image.json()["error"]["code"] == "triton_unavailable"
    assert ready.status_code == 503
    assert {d["model"] for d in ready.json()["error"]["details"]} == {"summarizer", "diffusion"}
    assert httpx.get(queue_gateway.url + "/healthz").status_code == 200
    assert code == grpc.StatusCode.UNAVAILABLE
    assert metadata["calle-error-code"] == "triton_unavailable"
