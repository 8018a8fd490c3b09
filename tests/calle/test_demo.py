"""``calle demo --once``: Triton, the gateway, the sample through the stream, the image saved."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from calle.ports import free_port

pytestmark = pytest.mark.triton


def test_demo_once_prints_the_summary_then_saves_the_image(exported: Path, tmp_path: Path):
    image = tmp_path / "demo" / "chat_image.png"
    ports = {
        "--triton-http-port": free_port(),
        "--triton-grpc-port": free_port(),
        "--triton-metrics-port": free_port(),
        "--http-port": free_port(),
        "--grpc-port": free_port(),
    }
    command = [str(Path(sys.executable).with_name("calle")), "demo", "--once"]
    command += ["--repository", str(exported), "--image", str(image)]
    command += [str(part) for flag, port in ports.items() for part in (flag, port)]

    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)

    assert result.returncode == 0, result.stderr[-4000:]
    summary, saved = result.stdout.splitlines()  # Triton logs to a file, not to stdout
    assert summary.startswith("요약 / summary (")
    assert saved.startswith("그림 / image (seed ")
    assert saved.endswith(str(image))
    assert image.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "up to date" in result.stderr  # the export was not redone
    assert (image.parent / "tritonserver.log").exists()
    processes = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True)
    assert f"--model-repository={exported.resolve()}" not in processes.stdout  # Triton stopped
