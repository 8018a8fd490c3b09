"""The benchmark's systems under test: our stack is ``calle serve``, started and stopped whole."""

from __future__ import annotations

from pathlib import Path

import httpx
import psutil
import pytest

from loadtest.benchmark.servers import clean_environment, our_stack
from loadtest.benchmark.summary_burst import measure_summary_burst
from loadtest.chats import ChatGenerator


def test_the_systems_run_on_their_defaults_but_the_models_get_their_threads(monkeypatch):
    monkeypatch.setenv("CALLE_API_KEYS", "secret")
    monkeypatch.setenv("CALLE_ORT_THREADS", "2")
    env = clean_environment()
    assert "CALLE_API_KEYS" not in env
    assert env["CALLE_ORT_THREADS"] == "2"
    assert env["PATH"]


@pytest.mark.triton
def test_our_stack_serves_reports_its_processes_and_leaves_none_behind(
    tiny_repository: Path, tmp_path: Path
):
    with our_stack(tiny_repository, tmp_path, ready_timeout_s=240) as endpoint:
        assert httpx.get(endpoint.url + "/readyz", timeout=5).status_code == 200
        assert "nv_inference_count" in httpx.get(endpoint.metrics_url, timeout=5).text
        assert "calle_" in httpx.get(endpoint.stages_url, timeout=5).text
        # The benchmark's summary burst: every summary counted, Triton's summarizer timed.
        chats = [ChatGenerator(0).chat(1, index) for index in range(4)]
        burst = measure_summary_burst(endpoint, chats)
        assert burst.requests == 4
        assert 1 <= burst.executions <= 4
        assert burst.compute_ms_per_request > 0
        (root,) = endpoint.pids
        tree = [psutil.Process(root), *psutil.Process(root).children(recursive=True)]
        assert "tritonserver" in {process.name() for process in tree}  # counted with the gateway
    assert (tmp_path / "tritonserver.log").stat().st_size > 0
    assert not [process.pid for process in tree if process.is_running()]
