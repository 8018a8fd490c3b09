"""The benchmark's systems under test: our stack is ``calle serve``, started and stopped whole."""

from __future__ import annotations

from pathlib import Path

import httpx
import psutil
import pytest

from loadtest.benchmark.servers import our_stack

pytestmark = pytest.mark.triton


def test_our_stack_serves_reports_its_processes_and_leaves_none_behind(
    tiny_repository: Path, tmp_path: Path
):
    with our_stack(tiny_repository, tmp_path, ready_timeout_s=240) as endpoint:
        assert httpx.get(endpoint.url + "/readyz", timeout=5).status_code == 200
        assert "nv_inference_count" in httpx.get(endpoint.metrics_url, timeout=5).text
        assert "calle_" in httpx.get(endpoint.stages_url, timeout=5).text
        (root,) = endpoint.pids
        tree = [psutil.Process(root), *psutil.Process(root).children(recursive=True)]
        assert "tritonserver" in {process.name() for process in tree}  # counted with the gateway
    assert (tmp_path / "tritonserver.log").stat().st_size > 0
    assert not [process.pid for process in tree if process.is_running()]
