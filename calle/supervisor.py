"""Keep the local ``tritonserver`` alive for ``calle serve`` and ``calle demo``.

A watcher thread waits on the server process (reaping it, so no zombie is left), logs how it
ended, clears what a crash leaves behind (stubs of its process group, shared memory: see
:meth:`calle.triton.TritonServer.stop`) and starts it again after a backoff that doubles per
failure in a row. After ``max_restarts`` failures in a row it gives up and calls ``on_give_up``
(the commands then stop the gateway and exit non-zero). In Kubernetes the kubelet does this job
instead: the pod runs ``calle gateway`` and Triton separately, each with its own probes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from calle.triton import TritonError, TritonServer, describe_exit

log = logging.getLogger(__name__)

# A server that stayed up this long before dying starts a fresh count of failures in a row.
STABLE_S = 60.0


class TritonSupervisor:
    """Start ``server``, restart it when it dies, stop it (and its whole group) on exit.

    Args:
        server: The server to keep running (not started yet).
        ready_timeout_s: How long each start may take to become ready.
        max_restarts: Failures in a row (a death, or a start that never got ready) tolerated.
        backoff_s: Delay before the first restart; doubles per failure in a row.
        max_backoff_s: Longest delay between restarts.
        on_give_up: Called from the watcher thread when it gives up.
    """

    def __init__(
        self,
        server: TritonServer,
        *,
        ready_timeout_s: float,
        max_restarts: int,
        backoff_s: float,
        max_backoff_s: float = 30.0,
        on_give_up: Callable[[], None] = lambda: None,
    ) -> None:
        self.server = server
        self._ready_timeout_s = ready_timeout_s
        self._max_restarts = max_restarts
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        self._on_give_up = on_give_up
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # start and stop of the process never interleave
        self._watcher: threading.Thread | None = None
        self.restarts = 0
        self.gave_up = False

    def start(self) -> TritonSupervisor:
        """Start the server, wait until it is ready, then watch it.

        Raises:
            TritonError: The first start failed (nothing is restarted then).
        """
        with self._lock:
            self.server.start()
        try:
            self.server.wait_ready(self._ready_timeout_s)
        except Exception:
            self.server.stop()
            raise
        self._watcher = threading.Thread(target=self._watch, name="triton-supervisor", daemon=True)
        self._watcher.start()
        return self

    def stop(self) -> None:
        """Stop watching, then stop the server and everything of its process group."""
        with self._lock:
            self._stopping.set()
        self.server.stop()
        if self._watcher is not None and self._watcher is not threading.current_thread():
            self._watcher.join(timeout=30)

    def _watch(self) -> None:
        failures = 0
        up_since = time.monotonic()
        while True:
            code = self.server.wait()
            if self._stopping.is_set():
                return
            log.error(
                "tritonserver (pid %s) died: %s after %.0f s up",
                self.server.pid,
                describe_exit(code),
                time.monotonic() - up_since,
            )
            self.server.stop(timeout_s=5)  # clears its group and shared memory
            if time.monotonic() - up_since > STABLE_S:
                failures = 0
            while True:
                failures += 1
                if failures > self._max_restarts:
                    log.error("tritonserver failed %d times in a row; giving up", failures - 1)
                    self.gave_up = True
                    self._on_give_up()
                    return
                delay = min(self._backoff_s * 2 ** (failures - 1), self._max_backoff_s)
                log.warning("restarting tritonserver in %.1f s (attempt %d)", delay, failures)
                if self._stopping.wait(delay) or not self._restart():
                    if self._stopping.is_set():
                        return
                    continue
                self.restarts += 1
                up_since = time.monotonic()
                break

    def _restart(self) -> bool:
        """One start; ``False`` (server stopped again) if it did not get ready."""
        with self._lock:
            if self._stopping.is_set():
                return False
            try:
                self.server.start()
            except TritonError as exc:
                log.error("tritonserver did not start: %s", exc)
                return False
        try:
            self.server.wait_ready(self._ready_timeout_s)
        except TritonError as exc:
            if not self._stopping.is_set():
                log.error("restarted tritonserver did not get ready: %s", exc)
                self.server.stop(timeout_s=5)
            return False
        log.info("tritonserver restarted (pid %s)", self.server.pid)
        return True
