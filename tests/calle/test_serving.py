"""``calle serve``: the local Triton and the gateway, stopped cleanly by SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from portpicker import pick_unused_port

from tests.calle.conftest import calle_command

pytestmark = pytest.mark.triton


def test_serve_answers_then_stops_on_sigterm(exported: Path, tmp_path: Path) -> None:
    http_port = pick_unused_port()
    command = calle_command("serve", exported, http_port=http_port)
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 240
        ready = False
        while not ready and time.monotonic() < deadline and process.poll() is None:
            try:
                ready = httpx.get(f"http://127.0.0.1:{http_port}/readyz", timeout=2).is_success
            except httpx.TransportError:
                time.sleep(0.5)
        assert ready, (tmp_path / "serve.log").read_text(errors="replace")[-4000:]
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
    processes = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True)
    assert f"--model-repository={exported.resolve()}" not in processes.stdout  # Triton stopped
