"""``calle soak``'s judgement: growth after the warm-up, thresholds, the live sample."""

from __future__ import annotations

import argparse
import os
import time

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
