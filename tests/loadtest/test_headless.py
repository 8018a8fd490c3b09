"""The Locust command line a run turns into, and the command's argument checks."""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import pytest

from loadtest.command import build_parser, register
from loadtest.headless import LoadTestRun, run_seconds
from loadtest.scenarios import scenario_names, scenario_path
from loadtest.shapes import shape_names


def flags(command: list[str]) -> dict[str, str]:
    return {a: b for a, b in itertools.pairwise(command) if a.startswith("--")}


def test_a_run_becomes_a_headless_locust_command(tmp_path):
    run = LoadTestRun(
        host="http://gateway:8080",
        report_dir=tmp_path,
        scenario="mixed",
        users=8,
        spawn_rate=2,
        run_time="2m",
        shape="step_load",
        max_fail_ratio=0.02,
        max_p95_ms=("time-to-summary=9000", "*=60000"),
        grpc_target="gateway:50051",
        samples_file=tmp_path / "s.jsonl",
    )
    command = run.command()
    assert command[:3] == [sys.executable, "-m", "locust"]
    assert "--headless" in command
    options = flags(command)
    files = options["--locustfile"].split(",")
    assert [Path(f).name for f in files] == ["mixed.py", "step_load.py"]
    assert all(Path(f).is_file() for f in files)
    assert options["--users"] == "8"
    assert options["--run-time"] == "2m"
    assert options["--csv"] == str(tmp_path / "mixed")
    assert options["--html"] == str(tmp_path / "mixed.html")
    assert options["--check-fail-ratio"] == "0.02"
    assert options["--check-p95"] == "time-to-summary=9000,*=60000"
    assert options["--grpc-target"] == "gateway:50051"
    assert options["--samples-file"] == str(tmp_path / "s.jsonl")


def test_without_rules_locust_keeps_its_own_exit_code(tmp_path):
    command = LoadTestRun("http://x", tmp_path, max_fail_ratio=None).command()
    assert "--check-fail-ratio" not in command
    assert "--check-p95" not in command


def test_the_k8s_default_scenario_and_the_others_exist():
    assert {"chat_images", "summaries", "images", "grpc_chat_images", "mixed"} <= set(
        scenario_names()
    )
    assert scenario_path("mixed").read_text("utf-8")
    assert shape_names() == ["step_load"]
    with pytest.raises(ValueError, match="unknown scenario"):
        scenario_path("nope")


@pytest.mark.parametrize(
    ("span", "seconds"), [("90", 90), ("90s", 90), ("2m", 120), ("1h30m", 5400)]
)
def test_run_times(span, seconds):
    assert run_seconds(span) == seconds


@pytest.mark.parametrize("span", ["", "0s", "soon", "5 minutes"])
def test_bad_run_times(span):
    with pytest.raises(ValueError, match="run time"):
        run_seconds(span)


def test_register_adds_both_commands_to_another_commands_parser():
    parser = argparse.ArgumentParser(prog="calle")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["loadtest", "--host", "http://x", "--max-p95", "time-to-image=5000"])
    assert (args.command, args.scenario, args.max_p95) == (
        "loadtest",
        "chat_images",
        ["time-to-image=5000"],
    )
    args = parser.parse_args(["benchmark", "--preset", "tiny", "--run-time", "2m"])
    assert (args.users, args.run_time, args.single_user_run_time) == ([1, 4, 16], 120, 90)


@pytest.mark.parametrize(
    "argv",
    [
        ["loadtest", "--host", "http://x", "--max-p95", "time-to-image"],
        ["loadtest", "--host", "http://x", "--max-fail-ratio", "2"],
        ["loadtest", "--host", "http://x", "--run-time", "soon"],
        ["loadtest", "--host", "http://x", "--scenario", "nope"],
        ["benchmark", "--instances", "unet=0"],
    ],
)
def test_bad_arguments_fail_before_any_load(argv, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(argv)
