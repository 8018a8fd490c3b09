"""The Triton supervisor: restart after ``kill -9`` with nothing left behind, give up after N."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest
import tritonclient.http as triton_http

from calle.supervisor import TritonSupervisor
from calle.triton import SHM_DIR, TritonServer, process_group
from tests.calle.test_triton import write_model
from tests.conftest import free_endpoints

pytestmark = pytest.mark.triton


def echo_server(tmp_path: Path) -> TritonServer:
    write_model(tmp_path / "repo", "echo")
    return TritonServer(
        tmp_path / "repo",
        endpoints=free_endpoints(),
        log_file=tmp_path / "tritonserver.log",
        exit_timeout_s=5,
    )


def wait_for(condition: object, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def test_kill_9_restarts_and_leaves_no_orphan_nor_shared_memory(tmp_path: Path) -> None:
    server = echo_server(tmp_path)
    supervisor = TritonSupervisor(server, ready_timeout_s=120, max_restarts=3, backoff_s=0.1)
    supervisor.start()
    try:
        first = server.pid
        assert first is not None
        members = process_group(first)
        assert len(members) >= 2, "the echo model's stub runs in the server's process group"
        regions = set(SHM_DIR.glob(f"{server.shm_prefix}*"))
        assert regions, "the Python backend's shared memory carries the server's prefix"

        os.kill(first, signal.SIGKILL)
        assert wait_for(lambda: supervisor.restarts == 1, 120), server._log_tail()
        assert server.pid != first
        assert process_group(first) == [], "the killed server's stubs were left running"
        assert not any(region.exists() for region in regions), "its shared memory was left"
        client = triton_http.InferenceServerClient(server.http_url)
        assert client.is_model_ready("echo")
        client.close()
        log = (tmp_path / "tritonserver.log").read_text(errors="replace")
        assert log.count("Started GRPCInferenceService") == 2
    finally:
        supervisor.stop()
    assert process_group(first) == []
    assert not list(SHM_DIR.glob(f"{server.shm_prefix}*"))


def test_gives_up_after_failed_restarts(tmp_path: Path) -> None:
    server = echo_server(tmp_path)
    gave_up = threading.Event()
    supervisor = TritonSupervisor(
        server, ready_timeout_s=120, max_restarts=2, backoff_s=0.1, on_give_up=gave_up.set
    )
    supervisor.start()
    try:
        pid = server.pid
        assert pid is not None
        # From now on the model fails to load, so every restart exits during start-up.
        (tmp_path / "repo" / "echo" / "1" / "model.py").write_text("raise RuntimeError('gone')\n")
        os.kill(pid, signal.SIGKILL)
        assert gave_up.wait(120), server._log_tail()
        assert supervisor.gave_up
        assert supervisor.restarts == 0
        assert not server.is_running()
        assert process_group(pid) == []
    finally:
        supervisor.stop()
