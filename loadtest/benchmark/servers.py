"""The systems under test as child processes on free ports, polled until ready, always stopped.

- the baseline: ``python -m loadtest.baseline`` on the PyTorch checkpoints;
- our stack: ``calle serve`` on the exported repository (the real ``tritonserver`` and the
  gateway in front of it), configured with ``CALLE_*`` variables as Kubernetes configures them.

Each is a context manager that stops what it started, whatever happens in between, and keeps
the servers' logs in the run's folder.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil
from portpicker import pick_unused_port

from loadtest.benchmark.triton_metrics import EXECUTIONS, PENDING, scrape

READY_PATH = "/readyz"
LOG_TAIL_LINES = 40
# `calle serve` drains the gateway, then gives Triton its exit timeout (5 s here) plus 10 s.
STACK_STOP_GRACE_S = 60.0
DESCENDANT_GRACE_S = 10.0
MODEL_VARIABLES = ("CALLE_ORT_THREADS",)  # read by the models Triton runs


class ServerError(RuntimeError):
    """A server did not start or did not become ready."""


@dataclass(frozen=True)
class Endpoint:
    """A running system under test.

    Attributes:
        url: Base URL of its HTTP API.
        pids: Root processes whose trees do its work (for CPU accounting).
        metrics_url: Triton's metrics page, for our stack.
        stages_url: The gateway's metrics page (its stage histogram), for our stack.
    """

    url: str
    pids: tuple[int, ...]
    metrics_url: str | None = None
    stages_url: str | None = None


class ServerProcess:
    """One child process with its output in a log file.

    Args:
        name: For messages.
        command: The command line.
        log_path: Where its stdout and stderr go.
        env: Its environment.
    """

    def __init__(
        self, name: str, command: Sequence[str], log_path: Path, env: Mapping[str, str]
    ) -> None:
        self.name = name
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(
                list(command),
                env=dict(env),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, url: str, timeout_s: float) -> None:
        """Poll ``url`` until it answers 200.

        Raises:
            ServerError: The process exited, or ``timeout_s`` passed; with the log's tail.
        """
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"{self.name} exited with {self.process.returncode}{self.tail()}")
            with (
                contextlib.suppress(OSError, urllib.error.URLError),
                urllib.request.urlopen(url, timeout=2) as response,
            ):
                if response.status == 200:
                    return
            time.sleep(0.5)
        raise ServerError(f"{self.name} not ready after {timeout_s:.0f} s{self.tail()}")

    def stop(self, grace_s: float = 20.0) -> None:
        """SIGTERM to its process group, SIGKILL after ``grace_s``.

        Descendants that started sessions of their own (``calle serve`` starts
        ``tritonserver`` so) get a moment to follow it, then are killed, and are waited for:
        when this returns, no process of the server is left.
        """
        if self.process.poll() is None:
            descendants: list[psutil.Process] = []
            with contextlib.suppress(psutil.Error):
                descendants = psutil.Process(self.process.pid).children(recursive=True)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(grace_s)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            _, alive = psutil.wait_procs(descendants, timeout=DESCENDANT_GRACE_S)
            for child in alive:
                with contextlib.suppress(psutil.Error):
                    child.kill()
            psutil.wait_procs(alive, timeout=DESCENDANT_GRACE_S)

    def tail(self) -> str:
        """The end of its log, for error messages."""
        if not self.log_path.exists():
            return ""
        lines = self.log_path.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
        return f"\n--- {self.name} log (tail) ---\n" + "\n".join(lines)


def clean_environment() -> dict[str, str]:
    """This process's environment without ``CALLE_*`` settings, but with those models read.

    Both systems run on their defaults, whatever the person running the benchmark has set;
    ``CALLE_ORT_THREADS`` (``calle benchmark --ort-threads``) reaches Triton's models.
    """
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CALLE_") or key in MODEL_VARIABLES
    }


@contextlib.contextmanager
def baseline_server(
    checkpoints: Path,
    repository: Path,
    log_path: Path,
    *,
    torch_threads: int | None = None,
    ready_timeout_s: float = 300.0,
) -> Iterator[Endpoint]:
    """The single-process baseline on the checkpoints ``repository`` was exported from."""
    port = pick_unused_port()
    command = [
        sys.executable,
        "-m",
        "loadtest.baseline",
        "--summarizer",
        str(checkpoints / "summarizer"),
        "--diffusion",
        str(checkpoints / "diffusion"),
        "--repository",
        str(repository),
        "--port",
        str(port),
    ]
    if torch_threads:
        command += ["--torch-threads", str(torch_threads)]
    server = ServerProcess("baseline", command, log_path, clean_environment())
    try:
        url = f"http://127.0.0.1:{port}"
        server.wait_ready(url + READY_PATH, ready_timeout_s)
        yield Endpoint(url=url, pids=(server.process.pid,))
    finally:
        server.stop()


@contextlib.contextmanager
def our_stack(
    repository: Path,
    log_dir: Path,
    *,
    ready_timeout_s: float = 600.0,
    keep_settings: bool = False,
) -> Iterator[Endpoint]:
    """``calle serve`` on ``repository``: Triton and the gateway in front of it.

    Started as the command a user runs (``calle`` sits above ``loadtest``, so the benchmark
    does not reach into its Python API), configured as Kubernetes configures the gateway, with
    ``CALLE_*`` variables, and with flags for the ports. Triton's log goes to its own file.

    Args:
        repository: The exported model repository.
        log_dir: Where ``gateway.log`` and ``tritonserver.log`` go.
        ready_timeout_s: How long ``/readyz`` may take to answer 200.
        keep_settings: Keep this process's ``CALLE_*`` settings (``calle soak`` soaks the
            stack as its user configured it); by default the stack runs on its defaults
            (:func:`clean_environment`), as the benchmark compares defaults.
    """
    ports = {
        flag: pick_unused_port()
        for flag in (
            "--http-port",
            "--grpc-port",
            "--triton-http-port",
            "--triton-grpc-port",
            "--triton-metrics-port",
        )
    }
    command = [
        str(Path(sys.executable).with_name("calle")),
        "serve",
        "--repository",
        str(repository),
    ]
    command += [str(part) for flag, port in ports.items() for part in (flag, port)]
    env = (dict(os.environ) if keep_settings else clean_environment()) | {
        "CALLE_TRITON_LOG_FILE": str(log_dir / "tritonserver.log"),
        "CALLE_TRITON_EXIT_TIMEOUT_S": "5",
        "CALLE_TRITON_STARTUP_TIMEOUT_S": str(ready_timeout_s),
    }
    server = ServerProcess("calle serve", command, log_dir / "gateway.log", env)
    try:
        url = f"http://127.0.0.1:{ports['--http-port']}"
        server.wait_ready(url + READY_PATH, ready_timeout_s)
        yield Endpoint(
            url=url,
            pids=(server.process.pid,),  # its tree holds tritonserver and the model stubs
            metrics_url=f"http://127.0.0.1:{ports['--triton-metrics-port']}/metrics",
            stages_url=url + "/metrics",
        )
    finally:
        server.stop(grace_s=STACK_STOP_GRACE_S)


def wait_until_idle(metrics_url: str, *, quiet_s: float = 3.0, timeout_s: float = 600.0) -> bool:
    """Wait until Triton has nothing queued and has executed nothing for ``quiet_s``.

    Requests a load test abandons at its end keep Triton busy for a while (a model that is
    executing finishes its batch); the next point must not start on a busy server.

    Returns:
        Whether Triton went quiet before ``timeout_s``.
    """
    deadline = time.monotonic() + timeout_s
    last = None
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        snapshot = scrape(metrics_url)
        executions = sum(snapshot[EXECUTIONS].values())
        pending = sum(snapshot[PENDING].values())
        if executions != last or pending:
            last, quiet_since = executions, time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_s:
            return True
        time.sleep(0.5)
    return False
