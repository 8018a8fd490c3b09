"""A bounded Schemathesis run against the gateway's own ``/openapi.json``.

Cases generated from the schema (positive and negative) must meet the schema's promises: no
5xx, every status documented, bodies and content types as declared.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.gateway.helpers import GatewayProcess

pytestmark = pytest.mark.triton

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)


def test_generated_requests_get_no_server_error_nor_schema_violation(
    gateway: GatewayProcess, tmp_path: Path
) -> None:
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{gateway.url}/openapi.json",
            "--checks",
            ",".join(CHECKS),
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            "12",
            "--seed",
            "11",
            "--request-timeout",
            "120",
            "--report-dir",
            str(tmp_path),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
