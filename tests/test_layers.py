"""Imports point down the layers of ARCHITECTURE.md; import-linter checks the whole tree.

The contracts are written here rather than in a config file because one of them lists the
gateway's own modules: whatever module is added to the gateway later is covered without an edit.
"""

from __future__ import annotations

import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import gateway

REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("calle", "loadtest", "evaluation", "gateway", "export", "triton_models", "contract")
# Top first; siblings split by "|" may not import each other.
LAYERS = ("calle", "loadtest | evaluation", "gateway", "export", "triton_models", "contract")
# What chat ingestion stays free of: it is pure, and imported by evaluation and load tests too.
WEB_PACKAGES = ("fastapi", "starlette", "grpc", "tritonclient", "uvicorn", "sse_starlette")


def _gateway_modules_above_ingest() -> list[str]:
    return sorted(
        f"gateway.{info.name}"
        for info in pkgutil.iter_modules(gateway.__path__)
        if info.name != "ingest"
    )


def _config() -> str:
    def listed(names: object) -> str:
        return "".join(f"\n    {name}" for name in names)  # type: ignore[attr-defined]

    return f"""[importlinter]
root_packages ={listed(PACKAGES)}
include_external_packages = True

[importlinter:contract:layers]
name = Layers point down
type = layers
layers ={listed(LAYERS)}

[importlinter:contract:ingest]
name = Chat ingestion imports nothing of the web gateway
type = forbidden
source_modules =
    gateway.ingest
forbidden_modules ={listed([*_gateway_modules_above_ingest(), *WEB_PACKAGES])}

[importlinter:contract:fronts]
name = HTTP and gRPC are siblings over the service layer
type = independence
modules =
    gateway.http
    gateway.grpc
"""


def test_imports_point_down_the_layers(tmp_path: Path) -> None:
    config = tmp_path / "importlinter.ini"
    config.write_text(_config(), encoding="utf-8")
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is not installed (make install)"
    result = subprocess.run(
        [lint_imports, "--config", str(config), "--no-cache"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
