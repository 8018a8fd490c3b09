"""The local Triton launcher around the wheel's real tritonserver binary."""

from __future__ import annotations

from pathlib import Path

import pytest
import tritonclient.http as triton_http

from calle.triton import TritonError, TritonInstall, TritonServer
from tests.conftest import free_endpoints, start_server

ECHO_CONFIG = """
name: "{name}"
backend: "python"
max_batch_size: 4
input [ {{ name: "X" data_type: TYPE_STRING dims: [ 1 ] }} ]
output [ {{ name: "Y" data_type: TYPE_STRING dims: [ 1 ] }} ]
"""

ECHO_MODEL = """
import triton_python_backend_utils as pb_utils

class TritonPythonModel:
    def initialize(self, args):
        {init}

    def execute(self, requests):
        responses = []
        for request in requests:
            x = pb_utils.get_input_tensor_by_name(request, "X").as_numpy()
            responses.append(pb_utils.InferenceResponse([pb_utils.Tensor("Y", x)]))
        return responses
"""


def write_model(repository: Path, name: str, init: str = "pass") -> None:
    folder = repository / name / "1"
    folder.mkdir(parents=True)
    (repository / name / "config.pbtxt").write_text(ECHO_CONFIG.format(name=name))
    (folder / "model.py").write_text(ECHO_MODEL.format(init=init))


def test_locates_the_wheel_binary_and_stub() -> None:
    install = TritonInstall.locate()
    assert install.server.name == "tritonserver"
    assert install.server.exists()
    assert install.stub.exists()
    assert str(install.lib_dir) in install.environment()["LD_LIBRARY_PATH"]


def test_refuses_an_empty_repository(tmp_path: Path) -> None:
    with pytest.raises(TritonError, match="no exported models; run `calle export` first"):
        TritonServer(tmp_path, endpoints=free_endpoints()).start()


def test_serves_and_stops(tmp_path: Path) -> None:
    write_model(tmp_path / "repo", "echo")
    server = start_server(tmp_path / "repo", tmp_path)
    try:
        client = triton_http.InferenceServerClient(server.http_url)
        assert client.is_model_ready("echo")
    finally:
        server.stop()
    assert not server.is_running()


def test_start_up_failure_reports_the_log(tmp_path: Path) -> None:
    write_model(tmp_path / "repo", "broken", init='raise RuntimeError("weights are missing")')
    server = TritonServer(
        tmp_path / "repo",
        endpoints=free_endpoints(),
        log_file=tmp_path / "log.txt",
    )
    server.start()
    try:
        with pytest.raises(TritonError, match="weights are missing"):
            server.wait_ready(120)
    finally:
        server.stop()
