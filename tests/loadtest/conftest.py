"""Load-test fixtures: a real gateway in front of the session's Triton, the tiny baseline.

Locust itself only ever runs in child processes (``loadtest.headless``): importing it here
would patch this whole test session with gevent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from calle.triton import TritonServer
from loadtest.benchmark.servers import Endpoint, baseline_server
from tests.gateway.helpers import GatewayProcess, start_gateway


@pytest.fixture(scope="module")
def gateway(
    triton_server: TritonServer, tmp_path_factory: pytest.TempPathFactory, tiny_repository: Path
) -> Iterator[GatewayProcess]:
    """``calle gateway`` with default settings in front of the session's Triton."""
    process = start_gateway(
        "loadtest",
        tmp_path_factory.mktemp("gateway-logs"),
        triton_grpc_port=triton_server.grpc_port,
        repository=tiny_repository,
    )
    yield process
    process.stop()


@pytest.fixture(scope="module")
def baseline(
    summarizer_checkpoint: Path,
    diffusion_checkpoint: Path,
    tiny_repository: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Endpoint]:
    """The single-process baseline on the tiny checkpoints, as the benchmark starts it."""
    checkpoints = tmp_path_factory.mktemp("baseline-checkpoints")
    (checkpoints / "summarizer").symlink_to(summarizer_checkpoint)
    (checkpoints / "diffusion").symlink_to(diffusion_checkpoint)
    log = tmp_path_factory.mktemp("baseline-log") / "baseline.log"
    with baseline_server(checkpoints, tiny_repository, log, ready_timeout_s=180) as endpoint:
        yield endpoint
