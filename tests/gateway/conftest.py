"""Gateway test fixtures: real ``calle gateway`` processes in front of the session's Triton.

Each gateway is the installed ``calle gateway`` command run with ``CALLE_*`` variables on free
ports, as Kubernetes runs it (see :mod:`tests.gateway.helpers`). A failing test gets the logs of
the gateways that were running attached to its report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from calle.triton import TritonServer
from tests.gateway.fakes import write_pipeline_sizes
from tests.gateway.helpers import GatewayProcess, running, start_gateway


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Attach the running gateways' logs to the report of a failed test."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for gateway in running:
            tail = "\n".join(gateway.log().splitlines()[-60:])
            report.sections.append((f"gateway {gateway.name} log (tail)", tail))


GatewayFactory = Callable[..., GatewayProcess]


@pytest.fixture(scope="session")
def fake_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``pipeline.json`` with the tiny preset's sizes, for gateways on fake backends."""
    return write_pipeline_sizes(tmp_path_factory.mktemp("diffusion") / "pipeline.json")


@pytest.fixture(scope="session")
def gateway_factory(
    tmp_path_factory: pytest.TempPathFactory, tiny_repository: Path
) -> Iterator[GatewayFactory]:
    """Start gateways that are stopped at the end of the session.

    They trim chats with the tiny export's tokenizer and take its image sizes unless told
    otherwise.
    """
    log_dir = tmp_path_factory.mktemp("gateway-logs")
    started: list[GatewayProcess] = []

    def start(name: str, triton_grpc_port: int, **settings: object) -> GatewayProcess:
        gateway = start_gateway(
            name,
            log_dir,
            triton_grpc_port=triton_grpc_port,
            repository=tiny_repository,
            **settings,
        )
        started.append(gateway)
        return gateway

    yield start
    for gateway in started:
        gateway.stop()


@pytest.fixture(scope="session")
def gateway(gateway_factory: GatewayFactory, triton_server: TritonServer) -> GatewayProcess:
    """A gateway with default settings in front of the session's Triton."""
    return gateway_factory("default", triton_server.grpc_port)
