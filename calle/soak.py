"""``calle soak``: mixed load for N minutes against a ``calle serve`` it starts; leaks fail it.

Load threads send summaries (JSON and uploads), images, streamed chat-images, bad input
(expected 4xx) and requests they abandon half way (the gateway must cancel them). Every
``--sample-s`` the command records the resident memory of the gateway and of each Triton
process (server and Python-backend stubs: its process group), their open file descriptors, and
``/dev/shm`` use. Growth is measured from the first sample after the warm-up (a fifth of the run)
to the last. It prints a table, writes a JSON result, and exits 1 when a 5xx was answered or a
growth passes its threshold.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import shutil
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from calle.triton import SHM_DIR, process_group, tritonserver_child
from loadtest.benchmark.servers import Endpoint, ServerError, our_stack

log = logging.getLogger(__name__)

SAMPLE_CHAT = Path(__file__).resolve().parents[1] / "gateway" / "ingest" / "sample_chat.txt"
MB = 1024 * 1024


@dataclass
class Sample:
    """One measurement of the served processes."""

    at_s: float
    rss_mb: dict[str, float]
    fds: dict[str, int]
    shm_mb: float
    shm_files: int


@dataclass
class SoakResult:
    """What a soak run saw."""

    minutes: float
    requests: dict[str, int] = field(default_factory=dict)
    server_errors: int = 0
    samples: list[Sample] = field(default_factory=list)
    growth: dict[str, float] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def sample(serve_pid: int, started: float) -> Sample:
    """RSS and fds of the gateway (``calle serve``) and of each process of Triton's group."""
    processes = {"gateway": serve_pid}
    triton = tritonserver_child(serve_pid)
    if triton is not None:
        processes["tritonserver"] = triton
        stubs = sorted(pid for pid in process_group(triton) if pid != triton)
        processes |= {f"stub{i}": pid for i, pid in enumerate(stubs)}
    rss, fds = {}, {}
    for name, pid in processes.items():
        try:
            rss[name], fds[name] = _rss_mb(pid), _fds(pid)
        except OSError:  # ended while measured
            continue
    regions = list(SHM_DIR.iterdir())
    used = shutil.disk_usage(SHM_DIR).used / MB
    return Sample(time.monotonic() - started, rss, fds, round(used, 1), len(regions))


class Load:
    """Threads that send the mix until stopped, counting answers by kind and status."""

    def __init__(self, url: str, threads: int, seed: int) -> None:
        self._url = url
        self._threads = [
            threading.Thread(target=self._run, args=(seed + i,), daemon=True)
            for i in range(threads)
        ]
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self._chat = SAMPLE_CHAT.read_bytes()

    def start(self) -> None:
        """Start the threads."""
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop and join them."""
        self._stop.set()
        for thread in self._threads:
            thread.join(120)

    def _count(self, kind: str, status: int | str) -> None:
        with self._lock:
            self.counts[f"{kind} {status}"] += 1

    def _run(self, seed: int) -> None:
        rng = random.Random(seed)
        kinds = [
            (self._summary_json, 30),
            (self._summary_upload, 20),
            (self._image, 15),
            (self._chat_image_stream, 10),
            (self._bad_input, 15),
            (self._abandoned, 10),
        ]
        calls, weights = zip(*kinds, strict=True)
        with httpx.Client(base_url=self._url, timeout=120) as client:
            while not self._stop.is_set():
                call = rng.choices(calls, weights)[0]
                try:
                    call(client, rng)
                except httpx.TransportError as exc:
                    self._count(call.__name__.lstrip("_"), type(exc).__name__)

    def _summary_json(self, client: httpx.Client, _rng: random.Random) -> None:
        text = self._chat.decode("utf-8")
        response = client.post("/v1/summaries", json={"chat": text})
        self._count("summary_json", response.status_code)

    def _summary_upload(self, client: httpx.Client, _rng: random.Random) -> None:
        files = {"file": ("chat.txt", self._chat, "text/plain")}
        self._count("summary_upload", client.post("/v1/summaries/upload", files=files).status_code)

    def _image(self, client: httpx.Client, rng: random.Random) -> None:
        body = {"prompt": "부산 바다", "steps": rng.choice([4, 8]), "seed": rng.randint(0, 99)}
        self._count("image", client.post("/v1/images", json=body).status_code)

    def _chat_image_stream(self, client: httpx.Client, _rng: random.Random) -> None:
        files = {"file": ("chat.txt", self._chat, "text/plain")}
        headers = {"Accept": "text/event-stream"}
        data = {"steps": "4"}
        with client.stream(
            "POST", "/v1/chat-images/upload", files=files, data=data, headers=headers
        ) as response:
            body = response.read().decode("utf-8", errors="replace")
        status: int | str = response.status_code
        if status == 200 and "event: error" in body:
            status = "error_event"
        self._count("chat_image_stream", status)

    def _bad_input(self, client: httpx.Client, rng: random.Random) -> None:
        bodies = [b"{", b"[" * 50_000, b'{"chat": "\\ud800"}', b'{"messages": []}', b"{}"]
        response = client.post(
            "/v1/summaries",
            content=rng.choice(bodies),
            headers={"content-type": "application/json"},
        )
        self._count("bad_input", response.status_code)

    def _abandoned(self, client: httpx.Client, rng: random.Random) -> None:
        body = {"prompt": "버려진 그림", "steps": 50}
        try:
            client.post("/v1/images", json=body, timeout=rng.uniform(0.05, 0.5))
        except httpx.TimeoutException:
            self._count("abandoned", "gone")
            return
        self._count("abandoned", "finished")


def _growth(samples: list[Sample]) -> dict[str, float]:
    """Growth from the first sample after the warm-up to the last, per measured quantity."""
    base, last = samples[len(samples) // 5], samples[-1]
    growth = {}
    for name, rss in last.rss_mb.items():
        if name in base.rss_mb:
            growth[f"rss_mb {name}"] = round(rss - base.rss_mb[name], 1)
    for name, fds in last.fds.items():
        if name in base.fds:
            growth[f"fds {name}"] = fds - base.fds[name]
    growth["shm_mb"] = round(last.shm_mb - base.shm_mb, 1)
    growth["shm_files"] = last.shm_files - base.shm_files
    return growth


def check(result: SoakResult, args: argparse.Namespace) -> list[str]:
    """The thresholds the run passed."""
    failures = []
    if result.server_errors > args.max_5xx:
        failures.append(f"{result.server_errors} 5xx answers (allowed {args.max_5xx})")
    limits = {"rss_mb": args.max_rss_growth_mb, "fds": args.max_fd_growth}
    limits["shm_mb"] = args.max_shm_growth_mb
    for key, value in result.growth.items():
        limit = limits.get(key.split()[0])
        if limit is not None and value > limit:
            failures.append(f"{key} grew by {value} (allowed {limit})")
    return failures


def run_soak(args: argparse.Namespace) -> int:
    """``calle soak``: start ``calle serve``, load it, sample it, judge it."""
    args.output.parent.mkdir(parents=True, exist_ok=True)
    log_dir = args.output.with_name(f"{args.output.stem}-logs")
    result = SoakResult(minutes=args.minutes)
    try:
        with our_stack(
            args.repository,
            log_dir,
            ready_timeout_s=args.ready_timeout_s,
            keep_settings=True,
        ) as stack:
            _soak(stack, args, result)
    except ServerError as exc:
        raise SystemExit(str(exc)) from exc
    args.output.write_text(json.dumps(asdict(result), indent=2, ensure_ascii=False) + "\n")
    _print_report(result, args.output)
    return 1 if result.failures else 0


def _soak(stack: Endpoint, args: argparse.Namespace, result: SoakResult) -> None:
    """Load ``stack`` for ``args.minutes``, sampling its processes; fill in ``result``."""
    (serve_pid,) = stack.pids
    load = Load(stack.url, args.threads, args.seed)
    started = time.monotonic()
    load.start()
    end = started + args.minutes * 60
    try:
        while time.monotonic() < end:
            result.samples.append(sample(serve_pid, started))
            time.sleep(min(args.sample_s, max(end - time.monotonic(), 0)))
    finally:
        load.stop()
    result.samples.append(sample(serve_pid, started))
    result.requests = dict(sorted(load.counts.items()))
    result.server_errors = sum(
        n for key, n in load.counts.items() if key.split()[-1].startswith("5")
    )
    result.growth = _growth(result.samples)
    result.failures = check(result, args)


def _print_report(result: SoakResult, output: Path) -> None:
    first, last = result.samples[len(result.samples) // 5], result.samples[-1]
    lines = [f"soak: {result.minutes:g} min, {sum(result.requests.values())} requests"]
    lines += [f"  {key:32} {count:7d}" for key, count in result.requests.items()]
    lines.append(f"{'quantity':24} {'after warm-up':>14} {'end':>10} {'growth':>10}")
    rows: list[tuple[str, Any, Any]] = [
        *((f"rss_mb {k}", first.rss_mb.get(k), v) for k, v in last.rss_mb.items()),
        *((f"fds {k}", first.fds.get(k), v) for k, v in last.fds.items()),
        ("shm_mb", first.shm_mb, last.shm_mb),
        ("shm_files", first.shm_files, last.shm_files),
    ]
    for name, before, after in rows:
        lines.append(f"{name:24} {before!s:>14} {after!s:>10} {result.growth.get(name, '')!s:>10}")
    lines.append(f"5xx: {result.server_errors}")
    lines.append("FAIL: " + "; ".join(result.failures) if result.failures else "PASS")
    lines.append(f"result: {output}")
    sys.stdout.write("\n".join(lines) + "\n")


def register(subparsers: Any) -> None:
    """Add ``soak`` to ``calle``'s subcommands."""
    soak = subparsers.add_parser("soak", help="mixed load for N minutes; fail on 5xx or leaks")
    soak.add_argument("--repository", type=Path, default=Path("build/model_repository"))
    soak.add_argument("--minutes", type=float, default=10.0)
    soak.add_argument("--threads", type=int, default=6, help="concurrent clients")
    soak.add_argument("--sample-s", type=float, default=10.0, help="seconds between samples")
    soak.add_argument("--seed", type=int, default=0)
    soak.add_argument("--ready-timeout-s", type=float, default=600.0)
    soak.add_argument("--max-5xx", type=int, default=0)
    soak.add_argument("--max-rss-growth-mb", type=float, default=100.0, help="per process")
    soak.add_argument("--max-fd-growth", type=int, default=50, help="per process")
    soak.add_argument("--max-shm-growth-mb", type=float, default=64.0)
    soak.add_argument("--output", type=Path, default=Path("build/soak/soak.json"))
    soak.set_defaults(run=run_soak)
