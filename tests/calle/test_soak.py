"""``calle soak``: its judgement (growth after the warm-up, thresholds, the live sample) and a
short run end to end on the tiny export."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from calle.cli import main
from calle.soak import Sample, SoakResult, _growth, check, sample


def thresholds(**overrides: float) -> argparse.Namespace:
    values = {"max_5xx": 0, "max_rss_growth_mb": 100.0, "max_fd_growth": 50}
    values["max_shm_growth_mb"] = 64.0
    return argparse.Namespace(**(values | overrides))


def samples(rss: list[float], fds: list[int]) -> list[Sample]:
    return [
        Sample(float(i), {"gateway": r, "stub0": 10.0}, {"gateway": f}, 1.0, 2)
        for i, (r, f) in enumerate(zip(rss, fds, strict=True))
    ]


def test_growth_is_measured_after_the_warm_up() -> None:
    # Start-up (first fifth) grows a lot; afterwards memory is flat and fds grow by 3.
    growth = _growth(samples([100, 400, 400, 400, 400, 405], [10, 30, 30, 31, 32, 33]))
    assert growth["rss_mb gateway"] == 5.0
    assert growth["fds gateway"] == 3
    assert growth["rss_mb stub0"] == 0.0
    assert growth["shm_mb"] == 0.0


def test_thresholds_fail_the_run() -> None:
    result = SoakResult(minutes=1, server_errors=0)
    result.growth = {"rss_mb gateway": 150.0, "fds stub0": 2, "shm_mb": 0.0, "shm_files": 9}
    assert check(result, thresholds()) == ["rss_mb gateway grew by 150.0 (allowed 100.0)"]
    result.server_errors = 1
    assert len(check(result, thresholds(max_rss_growth_mb=200))) == 1


def test_a_sample_measures_this_process() -> None:
    measured = sample(os.getpid(), time.monotonic())
    assert measured.rss_mb["gateway"] > 10
    assert measured.fds["gateway"] >= 3
    assert measured.shm_files >= 0


@pytest.mark.triton
def test_a_short_soak_runs_the_stack_as_configured_and_leaves_nothing(
    exported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The soak keeps its user's CALLE_* settings (the benchmark's stack does not): with one
    # request served at a time, concurrent clients must see 429s.
    monkeypatch.setenv("CALLE_MAX_CONCURRENCY", "1")
    output = tmp_path / "soak.json"
    argv = ["soak", "--repository", str(exported), "--minutes", "0.1", "--threads", "4"]
    # A few seconds say nothing of leaks: the thresholds are out of the way here.
    argv += [
        "--max-rss-growth-mb",
        "1e6",
        "--max-fd-growth",
        "1000000",
        "--max-shm-growth-mb",
        "1e6",
    ]
    code = main([*argv, "--sample-s", "2", "--output", str(output)])
    result = json.loads(output.read_text("utf-8"))
    assert code == 0, result["failures"]
    assert result["server_errors"] == 0
    statuses = {key.split()[-1] for key in result["requests"]}
    assert "200" in statuses, result["requests"]
    assert "429" in statuses, result["requests"]
    assert len(result["samples"]) >= 2
    assert "tritonserver" in result["samples"][0]["rss_mb"]
    assert (tmp_path / "soak-logs" / "tritonserver.log").is_file()
    processes = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True)
    assert f"--model-repository={exported.resolve()}" not in processes.stdout  # Triton stopped
