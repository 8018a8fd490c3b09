"""``calle demo --once``: Triton, the gateway, the sample through the stream, the image saved."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from portpicker import pick_unused_port

from tests.calle.conftest import calle_command

pytestmark = pytest.mark.triton


def test_demo_once_prints_the_summary_then_saves_the_image(exported: Path, tmp_path: Path):
    image = tmp_path / "demo" / "chat_image.png"
    command = calle_command("demo", exported, http_port=pick_unused_port(), image=str(image))
    command.append("--once")

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
