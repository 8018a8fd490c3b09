"""Start and stop the real ``tritonserver`` binary that the ``nvidia-pytriton`` wheel ships.

The wheel carries Triton 2.51 (the NGC ``24.10`` release) with its Python backend, but the
backend directory needs the stub built for the running Python copied next to it, and the server
needs the wheel's bundled libraries on ``LD_LIBRARY_PATH`` and this interpreter's ``bin`` first
on ``PATH`` (the stub finds the venv's packages through it). PyTriton's own launcher only serves
models bound from Python callables, so this module does that small piece of plumbing itself.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import tritonclient.http as triton_http

from export.versions import served_repository
from gateway.settings import TritonEndpoints

log = logging.getLogger(__name__)


class TritonError(RuntimeError):
    """The local Triton server could not be found, started or made ready."""


@dataclass(frozen=True)
class TritonInstall:
    """Where the pieces of the wheel's Triton live."""

    server: Path
    python_backend: Path
    stub: Path
    lib_dir: Path

    @classmethod
    def locate(cls) -> TritonInstall:
        """Find the Triton files inside the installed ``nvidia-pytriton`` wheel."""
        try:
            import pytriton
        except ImportError as exc:  # pragma: no cover - dependency of the package
            raise TritonError("nvidia-pytriton is not installed; run `make demo` once") from exc
        site = Path(pytriton.__file__).resolve().parent.parent
        root = site / "pytriton" / "tritonserver"
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        install = cls(
            server=root / "bin" / "tritonserver",
            python_backend=root / "backends" / "python",
            stub=root / "python_backend_stubs" / version / "triton_python_backend_stub",
            lib_dir=site / "nvidia_pytriton.libs",
        )
        for path in (install.server, install.python_backend, install.stub):
            if not path.exists():
                raise TritonError(f"Triton file missing from nvidia-pytriton: {path}")
        return install

    def prepare_backends(self, dest: Path) -> Path:
        """Write a backend directory with the Python backend and this Python's stub."""
        python_dir = dest / "python"
        shutil.copytree(self.python_backend, python_dir, dirs_exist_ok=True)
        shutil.copy2(self.stub, python_dir / "triton_python_backend_stub")
        return dest

    def environment(self) -> dict[str, str]:
        """Environment for the server process."""
        env = dict(os.environ)
        # The stub links libpython3.X dynamically; it must load the library of the interpreter
        # whose standard library it then imports (a pyenv build next to the distribution's
        # Python otherwise mixes two patch releases and C extensions fail to load).
        libdir = sysconfig.get_config_var("LIBDIR") or ""
        own_libpython = Path(libdir, sysconfig.get_config_var("LDLIBRARY") or "").is_file()
        paths = (str(self.lib_dir), libdir if own_libpython else "", env.get("LD_LIBRARY_PATH", ""))
        env["LD_LIBRARY_PATH"] = os.pathsep.join(p for p in paths if p)
        env["PATH"] = os.pathsep.join((str(Path(sys.executable).parent), env.get("PATH", "")))
        # The Python models run ONNX Runtime and torch; one intra-op thread per instance keeps
        # several instances from oversubscribing the cores (each instance is its own process).
        env.setdefault("OMP_NUM_THREADS", "1")
        return env


SHM_DIR = Path("/dev/shm")
LOCALHOST = "127.0.0.1"


def process_group(pgid: int) -> list[int]:
    """Live (not zombie) processes in process group ``pgid``, read from ``/proc``."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # Fields after the command name (which may hold spaces and parentheses).
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            members.append(int(stat.parent.name))
    return members


def tritonserver_child(parent: int) -> int | None:
    """The pid of ``parent``'s ``tritonserver`` child (what ``calle serve`` supervises)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, _, rest = stat.read_text().partition(" (")[2].rpartition(")")
        except OSError:
            continue
        if int(rest.split()[1]) == parent and name.startswith("tritonserver"):
            return int(stat.parent.name)
    return None


def describe_exit(code: int) -> str:
    """``exit code 1`` or ``killed by SIGKILL``, for a ``Popen.returncode``."""
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity; a container's cpuset)."""
    return len(os.sched_getaffinity(0))


@dataclass
class TritonServer:
    """A ``tritonserver`` child process, usable as a context manager.

    Args:
        repository: The model repository to serve, or an export output whose `current` names it.
        endpoints: The ports it listens on (``CALLE_TRITON_*``; it binds every interface, and
            this process reaches it on ``127.0.0.1``).
        log_file: Where the server's stdout/stderr go; ``None`` inherits this process's.
        exit_timeout_s: How long Triton lets in-flight requests finish on stop.
        model_control_explicit: Start with no models loaded unless named in ``load_models``
            and allow load/unload over the API.
        load_models: Models to load at start in explicit mode.
        cpu_cores: Cores the CPU models may use at once: the count of the ``cpu`` resource
            their instances each hold while they compute (Triton's rate limiter), so that
            instances never outnumber cores and the summarizer, which has run least, goes
            first. Default: the cores this process may run on.
        extra_args: More ``tritonserver`` flags.
    """

    repository: Path
    endpoints: TritonEndpoints
    log_file: Path | None = None
    exit_timeout_s: int = 30
    model_control_explicit: bool = False
    load_models: tuple[str, ...] = ()
    cpu_cores: int = field(default_factory=usable_cores)
    extra_args: tuple[str, ...] = ()
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _workdir: tempfile.TemporaryDirectory[str] | None = field(default=None, init=False, repr=False)
    _log_handle: object | None = field(default=None, init=False, repr=False)
    # Every shared-memory region this server's Python backend creates starts with this, so the
    # regions a killed server leaves behind can be found and removed.
    shm_prefix: str = field(
        default_factory=lambda: f"calle_triton_{uuid.uuid4().hex[:12]}_", init=False
    )

    @property
    def served(self) -> Path:
        """The repository Triton loads: what ``repository/current`` names, if the switch exists.

        Resolved when the server starts, so a later export's switch does not change what a
        running server has loaded (it loads once, at start).
        """
        return served_repository(self.repository)

    @property
    def http_port(self) -> int:
        """The HTTP/REST port."""
        return self.endpoints.http_port

    @property
    def grpc_port(self) -> int:
        """The gRPC port."""
        return self.endpoints.grpc_port

    @property
    def metrics_port(self) -> int:
        """The Prometheus metrics port."""
        return self.endpoints.metrics_port

    @property
    def local(self) -> TritonEndpoints:
        """Where this process reaches the server (it binds every interface)."""
        return TritonEndpoints(
            host=LOCALHOST,
            http_port=self.http_port,
            grpc_port=self.grpc_port,
            metrics_port=self.metrics_port,
        )

    @property
    def http_url(self) -> str:
        """``127.0.0.1:port`` of the HTTP endpoint."""
        return self.local.http_url

    @property
    def grpc_url(self) -> str:
        """``127.0.0.1:port`` of the gRPC endpoint."""
        return self.local.grpc_url

    @property
    def metrics_url(self) -> str:
        """Full URL of the Prometheus metrics endpoint."""
        return f"http://{LOCALHOST}:{self.metrics_port}/metrics"

    def command(self, backends: Path) -> list[str]:
        """The ``tritonserver`` command line."""
        install = TritonInstall.locate()
        cmd = [
            str(install.server),
            f"--model-repository={self.served.resolve()}",
            f"--backend-directory={backends}",
            f"--http-port={self.http_port}",
            f"--grpc-port={self.grpc_port}",
            f"--metrics-port={self.metrics_port}",
            f"--exit-timeout-secs={self.exit_timeout_s}",
            "--allow-gpu-metrics=false",
            "--strict-readiness=true",
            "--log-verbose=0",
            "--rate-limit=execution_count",
            f"--rate-limit-resource=cpu:{self.cpu_cores}",
            f"--backend-config=python,shm-region-prefix-name={self.shm_prefix}",
        ]
        if self.model_control_explicit:
            cmd.append("--model-control-mode=explicit")
            cmd += [f"--load-model={name}" for name in self.load_models]
        return cmd + list(self.extra_args)

    def start(self) -> TritonServer:
        """Start the server process (does not wait for readiness)."""
        if not any(self.served.glob("*/config.pbtxt")):
            raise TritonError(
                f"{self.repository} holds no exported models; run `calle export` first"
            )
        install = TritonInstall.locate()
        self._workdir = tempfile.TemporaryDirectory(prefix="calle-triton-")
        backends = install.prepare_backends(Path(self._workdir.name) / "backends")
        stdout: int | object | None = None
        if self.log_file is not None:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            self._log_handle = self.log_file.open("ab")
            stdout = self._log_handle
        log.info(
            "starting tritonserver on http %d, grpc %d, metrics %d",
            self.http_port,
            self.grpc_port,
            self.metrics_port,
        )
        self._process = subprocess.Popen(
            self.command(backends),
            env=install.environment(),
            stdout=stdout,  # type: ignore[arg-type]
            stderr=subprocess.STDOUT if stdout is not None else None,
            start_new_session=True,
        )
        return self

    def wait_ready(self, timeout_s: float = 300.0) -> None:
        """Block until ``/v2/health/ready`` answers, or raise with the log's tail."""
        deadline = time.monotonic() + timeout_s
        client = triton_http.InferenceServerClient(self.http_url)
        try:
            while time.monotonic() < deadline:
                if self._process is None or self._process.poll() is not None:
                    raise TritonError(f"tritonserver exited during start-up{self._log_tail()}")
                with contextlib.suppress(Exception):
                    if client.is_server_ready():
                        log.info("tritonserver ready at %s", self.http_url)
                        return
                time.sleep(0.5)
        finally:
            client.close()
        raise TritonError(f"tritonserver not ready after {timeout_s:.0f}s{self._log_tail()}")

    def is_running(self) -> bool:
        """Whether the child process is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """The ``tritonserver`` process id (also its process group's id), while started."""
        return None if self._process is None else self._process.pid

    def wait(self) -> int:
        """Wait for the process to end and return its exit code."""
        process = self._process
        if process is None:
            return 0
        return process.wait()

    def stop(self, timeout_s: float | None = None) -> None:
        """Terminate gracefully (SIGTERM, Triton drains in-flight work), then kill.

        Whatever is left of the process group afterwards (Python-backend stubs of a server
        that was killed) is killed too, and the server's shared-memory regions are removed.
        """
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                grace = self.exit_timeout_s + 10 if timeout_s is None else timeout_s
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(grace)
                except subprocess.TimeoutExpired:
                    log.warning("tritonserver did not stop in %.0fs; killing it", grace)
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            self._kill_group(process.pid)
        self._remove_shm()
        if self._log_handle is not None:
            self._log_handle.close()  # type: ignore[attr-defined]
            self._log_handle = None
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    @staticmethod
    def _kill_group(pgid: int, timeout_s: float = 10.0) -> None:
        """SIGKILL what is left in the server's process group and wait until it is gone."""
        deadline = time.monotonic() + timeout_s
        while members := process_group(pgid):
            if time.monotonic() > deadline:
                log.error("processes %s of tritonserver's group survived SIGKILL", members)
                return
            log.warning("killing %d leftover tritonserver process(es)", len(members))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            time.sleep(0.05)

    def _remove_shm(self) -> None:
        """Remove the shared-memory regions this server's Python backend created."""
        for region in SHM_DIR.glob(f"{self.shm_prefix}*"):
            with contextlib.suppress(FileNotFoundError):
                region.unlink()
                log.info("removed leftover shared memory %s", region.name)

    def _log_tail(self, lines: int = 40) -> str:
        if self.log_file is None or not self.log_file.exists():
            return ""
        tail = self.log_file.read_text(errors="replace").splitlines()[-lines:]
        return "\n--- tritonserver log (tail) ---\n" + "\n".join(tail)

    def __enter__(self) -> TritonServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
