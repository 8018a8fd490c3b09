"""The export's output layout: staged versions, the atomic ``current`` switch, the init step."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from contract.repository import CURRENT
from export.versions import (
    FAILED,
    PASSED,
    check_root,
    new_version,
    passed,
    read_verdict,
    served_repository,
    switch,
    write_verdict,
)

MANIFEST = {"options": {"preset": "tiny"}, "code": "abc"}


def _version(root: Path, *, error: str | None = None) -> Path:
    version = new_version(root)
    (version / "summarizer").mkdir()
    write_verdict(version, MANIFEST, error=error)
    return version


def test_switch_renames_a_relative_link_and_keeps_the_previous_version(tmp_path: Path) -> None:
    first = _version(tmp_path)
    switch(tmp_path, first)
    assert os.readlink(tmp_path / CURRENT) == f"versions/{first.name}"
    assert served_repository(tmp_path) == tmp_path / CURRENT
    assert served_repository(tmp_path / CURRENT) == tmp_path / CURRENT
    second, third, running = _version(tmp_path), _version(tmp_path), new_version(tmp_path)
    switch(tmp_path, second)
    switch(tmp_path, third)
    # The new one, the one it replaced and a later one still being staged; older ones pruned.
    assert sorted(p.name for p in (tmp_path / "versions").iterdir()) == [
        second.name,
        third.name,
        running.name,
    ]
    assert (tmp_path / CURRENT).resolve() == third.resolve()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_failed_version_is_never_switched_to(tmp_path: Path) -> None:
    good = _version(tmp_path)
    switch(tmp_path, good)
    bad = _version(tmp_path, error="ExportError: parity failed")
    assert read_verdict(bad)["verdict"] == FAILED
    assert read_verdict(good)["verdict"] == PASSED
    with pytest.raises(ValueError, match="has not passed"):
        switch(tmp_path, bad)
    assert (tmp_path / CURRENT).resolve() == good.resolve()
    assert not passed(new_version(tmp_path))  # staged, no export.json yet


def test_check_root_waits_serves_and_reports(tmp_path: Path) -> None:
    assert check_root(tmp_path) == (
        False,
        f"waiting for the export Job to finish writing {tmp_path}",
    )
    new_version(tmp_path)  # an export in progress
    assert not check_root(tmp_path)[0]
    _version(tmp_path, error="ExportError: parity failed")
    with pytest.raises(RuntimeError, match="failed: ExportError: parity failed"):
        check_root(tmp_path)
    good = _version(tmp_path)
    switch(tmp_path, good)
    assert check_root(tmp_path) == (True, f"serving {good.name}")
    later = _version(tmp_path, error="ExportError: config check failed")
    ready, line = check_root(tmp_path)
    assert ready
    assert f"newer export {later.name} FAILED" in line


def test_wait_command_is_the_init_step(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "export.versions", "wait", str(tmp_path), "--interval=0.1"]
    waiting = subprocess.run(
        [*command, "--timeout=0.3"], check=False, capture_output=True, text=True
    )
    assert waiting.returncode == 1
    assert "no passed export" in waiting.stdout
    _version(tmp_path, error="ExportError: parity failed")
    failed = subprocess.run(command, check=False, capture_output=True, text=True, timeout=30)
    assert failed.returncode == 1
    assert "parity failed; not serving it" in failed.stdout
    switch(tmp_path, _version(tmp_path))
    ready = subprocess.run(command, check=False, capture_output=True, text=True, timeout=30)
    assert ready.returncode == 0, ready.stdout
