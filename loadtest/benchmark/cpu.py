"""CPU use during a load point: the whole machine, and the servers' own processes.

The load generator runs on the same machine, so the servers' share (their process trees:
Triton with its Python-backend stubs and the gateway, or the baseline) is reported next to
the system-wide utilisation.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import psutil


@dataclass(frozen=True)
class CpuUsage:
    """CPU use over an interval.

    Attributes:
        system_percent: Busy share of all cores (100 = every core busy all the time).
        server_cores: Cores' worth of CPU the servers' processes used (2.0 = two full cores).
    """

    system_percent: float
    server_cores: float


def _tree_seconds(pids: Sequence[int]) -> float:
    """User + system CPU seconds of the processes and all their descendants alive now."""
    total = 0.0
    for pid in pids:
        try:
            root = psutil.Process(pid)
            processes = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        for process in processes:
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
    return total


class CpuMeter:
    """Measures from construction to :meth:`stop`.

    Args:
        server_pids: Root processes of the servers under test.
    """

    def __init__(self, server_pids: Sequence[int]) -> None:
        self._pids = list(server_pids)
        self._system = psutil.cpu_times()
        self._servers = _tree_seconds(self._pids)
        self._started = time.monotonic()

    def stop(self) -> CpuUsage:
        """The usage since construction."""
        elapsed = max(time.monotonic() - self._started, 1e-9)
        busy_before, total_before = _busy_and_total(self._system)
        busy_now, total_now = _busy_and_total(psutil.cpu_times())
        total = total_now - total_before
        system = 100.0 * (busy_now - busy_before) / total if total > 0 else 0.0
        servers = (_tree_seconds(self._pids) - self._servers) / elapsed
        return CpuUsage(system_percent=system, server_cores=servers)


def _busy_and_total(times: object) -> tuple[float, float]:
    """Busy and total CPU seconds of all cores (guest time is already inside user time)."""
    idle = getattr(times, "idle", 0.0) + getattr(times, "iowait", 0.0)
    guest = getattr(times, "guest", 0.0) + getattr(times, "guest_nice", 0.0)
    busy = sum(times) - idle - guest  # type: ignore[arg-type]
    return busy, busy + idle
