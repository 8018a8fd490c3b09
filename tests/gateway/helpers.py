"""Helpers for gateway tests: real ``calle gateway`` processes and SSE reading."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from portpicker import pick_unused_port

from contract.repository import diffusion_pipeline, summarizer_tokenizer

SAMPLE_CHAT = Path(__file__).resolve().parents[2] / "gateway" / "ingest" / "sample_chat.txt"
CALLE = Path(sys.executable).with_name("calle")
# Gateways alive right now, whose logs a failing test's report gets.
running: list[GatewayProcess] = []


@dataclass
class GatewayProcess:
    """A running ``calle gateway``."""

    name: str
    http_port: int
    grpc_port: int
    log_path: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    @property
    def url(self) -> str:
        """Base URL of the HTTP API."""
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def grpc_target(self) -> str:
        """``host:port`` of the gRPC API."""
        return f"127.0.0.1:{self.grpc_port}"

    def log(self) -> str:
        """Everything the process logged so far."""
        return self.log_path.read_text(errors="replace")

    def log_lines(self, marker: str, timeout_s: float = 5.0) -> list[str]:
        """Log lines holding ``marker``, waiting for the access log line written last."""
        deadline = time.monotonic() + timeout_s
        while True:
            lines = [line for line in self.log().splitlines() if marker in line]
            if any(" -> " in line for line in lines) or time.monotonic() > deadline:
                return lines
            time.sleep(0.05)

    def stop(self) -> int:
        """SIGTERM (graceful), then SIGKILL after 20 s; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self in running:
            running.remove(self)
        return self.process.returncode


def start_gateway(
    name: str,
    log_dir: Path,
    *,
    triton_grpc_port: int,
    repository: Path,
    ready_path: str = "/readyz",
    **settings: object,
) -> GatewayProcess:
    """Start ``calle gateway`` with ``CALLE_<SETTING>`` variables and wait until it answers.

    It reads the tokenizer and the image sizes of ``repository`` (the export Triton serves)
    unless ``settings`` name others.
    """
    settings = {
        "summarizer_tokenizer": summarizer_tokenizer(repository),
        "diffusion_pipeline": diffusion_pipeline(repository),
        **settings,
    }
    env = {key: value for key, value in os.environ.items() if not key.startswith("CALLE_")}
    http_port, grpc_port = pick_unused_port(), pick_unused_port()
    env |= {
        "CALLE_HTTP_PORT": str(http_port),
        "CALLE_GRPC_PORT": str(grpc_port),
        "CALLE_TRITON_HOST": "127.0.0.1",
        "CALLE_TRITON_GRPC_PORT": str(triton_grpc_port),
        **{f"CALLE_{key.upper()}": str(value) for key, value in settings.items()},
    }
    log_path = log_dir / f"gateway-{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(CALLE), "gateway"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    gateway = GatewayProcess(name, http_port, grpc_port, log_path, process)
    running.append(gateway)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            gateway.stop()
            pytest.fail(f"gateway {name} exited with {process.returncode}:\n{gateway.log()}")
        try:
            if httpx.get(gateway.url + ready_path, timeout=2).status_code == 200:
                return gateway
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    gateway.stop()
    pytest.fail(f"gateway {name} not ready after 60 s:\n{gateway.log()}")


def upload(content: bytes | None = None) -> dict[str, tuple[str, bytes, str]]:
    """``files=`` for an upload route: ``content`` (the sample export by default) as ``file``."""
    return {"file": ("KakaoTalk_Chat.txt", content or SAMPLE_CHAT.read_bytes(), "text/plain")}


def error_of(response: httpx.Response, status: int) -> dict[str, object]:
    """The error object of ``response``, checked to be in the schema with ``status``."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["status"] == status
    assert error["request_id"] == response.headers["X-Request-ID"]
    assert error["message_ko"]
    assert error["message_en"]
    return error


def sse_events(response: httpx.Response) -> Iterator[tuple[str, dict, float]]:
    """``(event, data, arrival time)`` of a streamed ``text/event-stream`` response."""
    event, data = "message", []
    for line in response.iter_lines():
        if line.startswith("event:"):
            event = line.partition(":")[2].strip()
        elif line.startswith("data:"):
            data.append(line.partition(":")[2].removeprefix(" "))
        elif not line and data:
            yield event, json.loads("\n".join(data)), time.monotonic()
            event, data = "message", []
