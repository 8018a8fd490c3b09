"""The CPU pool: a deadline or a cancellation kills the worker; no queueing; errors come back."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.cpu_pool import CpuPool
from gateway.errors import GatewayBusyError, StageTimeoutError
from gateway.ingest import EmptyChatError

BIG = 1024  # "bytes" of input: above the pool's inline threshold


def spin(pid_file: str) -> None:
    """Burn CPU for a minute, after saying which process does it."""
    Path(pid_file).write_text(str(os.getpid()))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pass


def fail_to_parse() -> None:
    raise EmptyChatError()


def square(value: int) -> tuple[int, int]:
    return value * value, os.getpid()


@pytest.fixture
def pool() -> Iterator[CpuPool]:
    pool = CpuPool(1, inline_below_bytes=BIG)
    yield pool
    pool.close()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"


def worker_pid(pid_file: Path, timeout_s: float = 30) -> int:
    deadline = time.monotonic() + timeout_s
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the worker never started"
        time.sleep(0.02)
    return int(pid_file.read_text())


def test_result_comes_from_a_worker_process(pool: CpuPool) -> None:
    result, pid = asyncio.run(pool.run(square, 12, size=BIG, stage="summary", timeout_s=30))
    assert result == 144
    assert pid != os.getpid()


def test_small_inputs_run_in_this_process(pool: CpuPool) -> None:
    _, pid = asyncio.run(pool.run(square, 3, size=BIG - 1, stage="summary", timeout_s=30))
    assert pid == os.getpid()


def test_the_deadline_kills_the_worker(pool: CpuPool, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"

    async def run() -> None:
        await pool.run(spin, str(pid_file), size=BIG, stage="summary", timeout_s=3)

    started = time.monotonic()
    with pytest.raises(StageTimeoutError):
        asyncio.run(run())
    assert time.monotonic() - started < 10
    pid = worker_pid(pid_file)
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid), "the worker kept burning CPU after the deadline"
    # The pool replaced it: the next call works.
    assert asyncio.run(pool.run(square, 2, size=BIG, stage="summary", timeout_s=30))[0] == 4


def test_a_cancelled_call_kills_its_worker_and_a_busy_pool_refuses(
    pool: CpuPool, tmp_path: Path
) -> None:
    pid_file = tmp_path / "pid"

    async def spin_admitted() -> None:
        with pool.admit(BIG):
            await pool.run(spin, str(pid_file), size=BIG, stage="summary", timeout_s=60)

    async def run() -> int:
        work = asyncio.ensure_future(spin_admitted())
        pid = await asyncio.to_thread(worker_pid, pid_file)
        with pytest.raises(GatewayBusyError), pool.admit(BIG):  # one place, taken: no queueing
            pass
        with pool.admit(BIG - 1):  # small inputs need no place
            pass
        work.cancel()
        with pytest.raises(asyncio.CancelledError):
            await work
        return pid

    pid = asyncio.run(run())
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid), "the cancelled work kept running"


def test_errors_come_back_with_their_type_and_messages(pool: CpuPool) -> None:
    with pytest.raises(EmptyChatError) as raised:
        asyncio.run(pool.run(fail_to_parse, size=BIG, stage="summary", timeout_s=30))
    assert raised.value.message_en == EmptyChatError().message_en
