"""``calle serve`` when its Triton is killed under load: fast 503s, a restart, nothing orphaned."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
from portpicker import pick_unused_port

from calle.triton import process_group, tritonserver_child
from contract.repository import diffusion_pipeline
from tests.calle.conftest import calle_command
from tests.gateway.helpers import SAMPLE_CHAT

CHAT = SAMPLE_CHAT.read_text(encoding="utf-8")

pytestmark = pytest.mark.triton

LOAD_THREADS = 3
# Only the summary models: two Triton starts of the whole repository take minutes here.
SUMMARY_MODELS = ("summarizer",)
# Starting Triton takes ~30 s on an idle machine and minutes on a busy one.
START_TIMEOUT_S = 600


def tritonserver_of(serve: subprocess.Popen[bytes]) -> int:
    """The pid of ``calle serve``'s Triton."""
    pid = tritonserver_child(serve.pid)
    assert pid is not None, "calle serve runs no tritonserver"
    return pid


def server_log(path: Path) -> str:
    """The log without the access lines of the load (for failure messages)."""
    lines = path.read_text(errors="replace").splitlines()
    kept = [line for line in lines if "/v1/summaries" not in line and "answered" not in line]
    return "\n".join(kept)[-6000:]


def wait_summaries(url: str, process: subprocess.Popen[bytes], timeout_s: float) -> bool:
    """Wait until the gateway summarizes (``/readyz`` also wants the diffusion models)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and process.poll() is None:
        try:
            response = httpx.post(f"{url}/v1/summaries", json={"chat": CHAT}, timeout=30)
            if response.is_success:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    return False


def test_kill_9_under_load_fails_fast_restarts_and_orphans_nothing(
    tiny_repository: Path, tmp_path: Path
) -> None:
    exported = tmp_path / "model_repository"
    for name in SUMMARY_MODELS:
        shutil.copytree(tiny_repository / name, exported / name)
    http_port = pick_unused_port()
    url = f"http://127.0.0.1:{http_port}"
    command = calle_command("serve", exported, http_port=http_port)
    env = {
        **os.environ,
        "CALLE_TRITON_RESTART_BACKOFF_S": "0.2",
        "CALLE_TRITON_EXIT_TIMEOUT_S": "5",
        # The image sizes of the whole export: the diffusion model is not served here.
        "CALLE_DIFFUSION_PIPELINE": str(diffusion_pipeline(tiny_repository)),
    }
    log_path = tmp_path / "serve.log"
    log = log_path.open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    statuses: list[int] = []
    stop_load = threading.Event()
    tritons: list[int] = []

    def load() -> None:
        with httpx.Client(base_url=url, timeout=30) as client:
            while not stop_load.is_set():
                files = {"file": ("chat.txt", SAMPLE_CHAT.read_bytes(), "text/plain")}
                try:
                    statuses.append(client.post("/v1/summaries/upload", files=files).status_code)
                except httpx.TransportError:
                    statuses.append(0)

    threads = [threading.Thread(target=load) for _ in range(LOAD_THREADS)]
    try:
        assert wait_summaries(url, process, START_TIMEOUT_S), server_log(log_path)
        triton = tritonserver_of(process)
        tritons.append(triton)
        stubs = [pid for pid in process_group(triton) if pid != triton]
        assert stubs, "the Python-backend stubs run in Triton's process group"
        for thread in threads:
            thread.start()
        time.sleep(1.0)

        os.kill(triton, signal.SIGKILL)
        killed = time.monotonic()
        refused = None
        with httpx.Client(base_url=url, timeout=5) as client:
            while time.monotonic() - killed < 5:
                response = client.post("/v1/summaries", json={"chat": CHAT})
                if response.status_code == 503:
                    refused = time.monotonic() - killed
                    assert response.headers["retry-after"] == "1"
                    assert response.json()["error"]["code"] == "triton_unavailable"
                    break
        assert refused is not None, "no 503 within 5 s of the kill"
        assert refused < 1.0, f"first 503 after {refused:.2f} s"

        assert wait_summaries(url, process, START_TIMEOUT_S), server_log(log_path)
        stop_load.set()
        for thread in threads:
            thread.join(60)
        assert process_group(triton) == [], "the killed Triton's stubs were left running"
        restarted = tritonserver_of(process)
        tritons.append(restarted)
        assert restarted != triton
        assert 200 in statuses
        assert set(statuses) <= {200, 503}, statuses
        files = {"file": ("chat.txt", SAMPLE_CHAT.read_bytes(), "text/plain")}
        assert httpx.post(f"{url}/v1/summaries/upload", files=files, timeout=30).status_code == 200
        text = log_path.read_text(errors="replace")
        assert "died: killed by SIGKILL" in text
        assert "tritonserver restarted" in text

        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0
        assert process_group(restarted) == [], "Triton's group outlived calle serve"
    finally:
        stop_load.set()
        if process.poll() is None:
            process.kill()
            process.wait()
        for pgid in tritons:  # calle serve was killed: its Triton is ours to clean up
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
        log.close()
