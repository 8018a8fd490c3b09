"""Run a scenario headless with the ``locust`` command, in a child process.

Locust patches the whole interpreter with gevent when it is imported, which would change how
the calling process (the benchmark, a test session, ``calle``) does its own networking and
threading; a child process keeps that to itself and is exactly what operators run by hand or
in Kubernetes. Locust writes the CSV and HTML reports; the thresholds decide its exit code
(see :mod:`loadtest.hooks`).
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from loadtest.scenarios import scenario_path
from loadtest.shapes import shape_path

logger = logging.getLogger(__name__)

_TIMESPAN = re.compile(r"(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s?)?")


def run_seconds(timespan: str) -> int:
    """Seconds in a Locust time span (``90``, ``90s``, ``2m``, ``1h30m``).

    Raises:
        ValueError: Not such a span, or zero.
    """
    match = _TIMESPAN.fullmatch(timespan.strip())
    seconds = 0
    if match is not None:
        parts = {key: int(value) for key, value in match.groupdict().items() if value}
        seconds = parts.get("h", 0) * 3600 + parts.get("m", 0) * 60 + parts.get("s", 0)
    if seconds <= 0:
        raise ValueError(f"expected a run time such as 90s, 2m or 1h30m, got {timespan!r}")
    return seconds


@dataclass(frozen=True)
class LoadTestRun:
    """One headless Locust run.

    Attributes:
        host: Base URL of the HTTP API (a local gateway, the baseline, a Kubernetes URL).
        report_dir: Where Locust writes ``<scenario>_*.csv`` and ``<scenario>.html``.
        scenario: A file of ``loadtest/scenarios/``.
        users: Peak number of users.
        spawn_rate: Users started per second.
        run_time: Locust time span (``60s``, ``2m``).
        shape: A file of ``loadtest/shapes/`` to drive the user count, if any.
        max_fail_ratio: Fail above this share of failed requests (``None``: any failure fails).
        max_p95_ms: ``NAME=MS`` limits on entries' p95.
        chat_seed: Seed of the generated chats.
        think_time: Users pause a uniform 0..think_time seconds between requests.
        grpc_target: ``host:port`` of the gRPC API (default: the host's name, port 50051).
        samples_file: Also write every request as a JSON line here.
        extra_args: More ``locust`` flags, passed as they are.
    """

    host: str
    report_dir: Path
    scenario: str = "chat_images"
    users: int = 4
    spawn_rate: float = 1.0
    run_time: str = "60s"
    shape: str | None = None
    max_fail_ratio: float | None = 0.01
    max_p95_ms: tuple[str, ...] = ()
    chat_seed: int = 0
    think_time: float = 1.0
    grpc_target: str | None = None
    samples_file: Path | None = None
    extra_args: tuple[str, ...] = field(default_factory=tuple)

    @property
    def csv_prefix(self) -> Path:
        """Prefix of Locust's CSV reports."""
        return self.report_dir / self.scenario

    @property
    def html_report(self) -> Path:
        """Locust's HTML report."""
        return self.report_dir / f"{self.scenario}.html"

    def command(self) -> list[str]:
        """The ``locust`` command line.

        Raises:
            ValueError: Unknown scenario or shape, or a bad run time.
        """
        run_seconds(self.run_time)
        locustfiles = [str(scenario_path(self.scenario))]
        if self.shape:
            locustfiles.append(str(shape_path(self.shape)))
        command = [
            sys.executable,
            "-m",
            "locust",
            "--locustfile",
            ",".join(locustfiles),
            "--headless",
            "--host",
            self.host,
            "--users",
            str(self.users),
            "--spawn-rate",
            f"{self.spawn_rate:g}",
            "--run-time",
            self.run_time,
            "--csv",
            str(self.csv_prefix),
            "--html",
            str(self.html_report),
            "--only-summary",
            "--chat-seed",
            str(self.chat_seed),
            "--think-time",
            f"{self.think_time:g}",
        ]
        if self.max_fail_ratio is not None:
            command += ["--check-fail-ratio", f"{self.max_fail_ratio:g}"]
        if self.max_p95_ms:
            command += ["--check-p95", ",".join(self.max_p95_ms)]
        if self.grpc_target:
            command += ["--grpc-target", self.grpc_target]
        if self.samples_file is not None:
            command += ["--samples-file", str(self.samples_file)]
        return command + list(self.extra_args)

    def reports(self) -> list[Path]:
        """The report files this run wrote."""
        written = sorted(self.report_dir.glob(f"{self.scenario}_*.csv"))
        return [*written, self.html_report] if self.html_report.exists() else written


def run_locust(run: LoadTestRun, *, log_file: Path | None = None) -> int:
    """Run Locust headless and return its exit code (non-zero when a threshold is crossed).

    Args:
        run: What to run.
        log_file: Where Locust's output goes; ``None`` lets it through to this process's.
    """
    command = run.command()
    run.report_dir.mkdir(parents=True, exist_ok=True)
    logger.info(
        "locust: %s, %d users, %s, against %s", run.scenario, run.users, run.run_time, run.host
    )
    if log_file is None:
        return subprocess.run(command, check=False).returncode
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("wb") as log:
        return subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False).returncode
