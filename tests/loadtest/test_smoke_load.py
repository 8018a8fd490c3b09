"""A short load through ``calle loadtest``'s own code path, against the real gateway and Triton.

The tiny preset, a mixed profile of every user type for a few seconds, with thresholds that
a healthy stack meets; and a threshold no stack can meet, which must fail the command.
"""

from __future__ import annotations

import csv

import pytest

from loadtest.command import build_parser, run_loadtest
from tests.gateway.helpers import GatewayProcess

pytestmark = pytest.mark.triton


def loadtest(*argv: str) -> int:
    return run_loadtest(build_parser().parse_args(["loadtest", *argv]))


def stats(path) -> dict[tuple[str, str], dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return {(row["Type"], row["Name"]): row for row in csv.DictReader(handle)}


def test_smoke_load_of_every_user_type_meets_its_thresholds(gateway: GatewayProcess, tmp_path):
    code = loadtest(
        "--host",
        gateway.url,
        "--grpc-target",
        gateway.grpc_target,
        "--scenario",
        "mixed",
        "--users",
        "10",
        "--spawn-rate",
        "10",
        "--run-time",
        "20s",
        "--think-time",
        "0.5",
        "--max-fail-ratio",
        "0",
        "--max-p95",
        "time-to-summary=30000",
        "--max-p95",
        "time-to-image=60000",
        "--report-dir",
        str(tmp_path),
    )

    assert code == 0
    assert (tmp_path / "mixed.html").read_text(encoding="utf-8").lstrip().startswith("<")
    rows = stats(tmp_path / "mixed_stats.csv")
    for entry in [
        ("POST", "/v1/chat-images (stream)"),
        ("SSE", "time-to-summary"),
        ("SSE", "time-to-image"),
        ("POST", "/v1/summaries"),
        ("POST", "/v1/images"),
        ("gRPC", "/calle.v1.Calle/ChatToImage"),
        ("gRPC", "time-to-summary"),
        ("gRPC", "time-to-image"),
    ]:
        assert int(rows[entry]["Request Count"]) > 0, entry
        assert int(rows[entry]["Failure Count"]) == 0, entry
    for report in ("failures", "exceptions", "stats_history"):
        assert (tmp_path / f"mixed_{report}.csv").exists()


def test_an_impossible_threshold_fails_the_command(gateway: GatewayProcess, tmp_path):
    code = loadtest(
        "--host",
        gateway.url,
        "--scenario",
        "summaries",
        "--users",
        "1",
        "--run-time",
        "4s",
        "--max-p95",
        "*=0.001",
        "--report-dir",
        str(tmp_path),
    )

    assert code != 0
    assert int(stats(tmp_path / "summaries_stats.csv")[("POST", "/v1/summaries")]["Request Count"])
    assert (tmp_path / "summaries.html").exists()
