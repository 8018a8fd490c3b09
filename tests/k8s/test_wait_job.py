"""k8s/wait-job.sh returns on Complete (0) and on Failed (1), and gives up at its timeout.

kubectl is replaced by a script that answers ``wait --for=condition=X`` from a state file, the
way kubectl does for a Job (exit 0 when the condition holds, non-zero after its 1 s timeout).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .helpers import K8S_DIR

SCRIPT = K8S_DIR / "wait-job.sh"
KUBECTL = """#!/bin/sh
# -n NS wait job/NAME --for=condition=C --timeout=1s | -n NS logs job/NAME --tail=N
echo "$*" >> "$STATE.calls"
case "$3" in
  wait) [ "$5" = "--for=condition=$(cat "$STATE")" ] ;;
  logs) echo "gate failed: time-to-image p95 above 120000 ms" ;;
esac
"""


@pytest.fixture
def kubectl(tmp_path: Path) -> Path:
    path = tmp_path / "kubectl"
    path.write_text(KUBECTL)
    path.chmod(0o755)
    return path


def _wait(kubectl: Path, state: str, timeout_s: int = 30) -> subprocess.CompletedProcess[str]:
    (kubectl.parent / "state").write_text(state)
    env = {"KUBECTL": str(kubectl), "STATE": str(kubectl.parent / "state"), "POLL_S": "0"}
    return subprocess.run(
        ["sh", str(SCRIPT), "calle-locust-master", str(timeout_s)],
        env={**env, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_complete_returns_zero(kubectl: Path) -> None:
    done = _wait(kubectl, "Complete")
    assert done.returncode == 0
    assert "job/calle-locust-master complete" in done.stdout
    calls = (kubectl.parent / "state.calls").read_text()
    assert "-n calle wait job/calle-locust-master --for=condition=Complete" in calls


def test_failed_returns_one_with_the_log(kubectl: Path) -> None:
    done = _wait(kubectl, "Failed")
    assert done.returncode == 1
    assert "FAILED" in done.stderr
    assert "gate failed" in done.stderr


def test_neither_gives_up_at_the_timeout(kubectl: Path) -> None:
    done = _wait(kubectl, "Running", timeout_s=1)
    assert done.returncode == 1
    assert "neither complete nor failed after 1s" in done.stderr
