"""Shared fixtures: tiny checkpoints, one exported tiny repository, one running Triton.

Everything heavy is session-scoped: the tiny preset is exported once and one real
``tritonserver`` serves it to every test that needs it (tests that must stop or reconfigure a
server start their own).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from portpicker import pick_unused_port

from calle.triton import TritonServer
from export.diffusion_checkpoints import build_diffusion
from export.options import ExportOptions
from export.pipeline import run_export
from export.summarizer_checkpoints import TINY, build_summarizer
from export.versions import served_repository
from gateway.settings import TritonEndpoints


@pytest.fixture(scope="session")
def summarizer_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-weight KoBART-shaped checkpoint saved with ``save_pretrained``."""
    return build_summarizer(tmp_path_factory.mktemp("ckpt") / "summarizer", TINY, seed=0)


@pytest.fixture(scope="session")
def diffusion_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-weight Stable Diffusion pipeline saved with ``save_pretrained``."""
    return build_diffusion(tmp_path_factory.mktemp("ckpt") / "diffusion", seed=0)


@pytest.fixture(scope="session")
def tiny_repository(
    tmp_path_factory: pytest.TempPathFactory,
    summarizer_checkpoint: Path,
    diffusion_checkpoint: Path,
) -> Path:
    """The tiny preset exported (portable flavour) through ``calle export``'s own code path.

    This is the repository ``output/current`` names (what Triton serves), not the output root.
    """
    output = tmp_path_factory.mktemp("export") / "model_repository"
    options = ExportOptions(
        output=output, summarizer=str(summarizer_checkpoint), diffusion=str(diffusion_checkpoint)
    )
    run_export(options, progress=False)
    return served_repository(output)


def free_endpoints() -> TritonEndpoints:
    """Triton ports nobody listens on right now."""
    return TritonEndpoints(
        http_port=pick_unused_port(), grpc_port=pick_unused_port(), metrics_port=pick_unused_port()
    )


def start_server(repository: Path, log_dir: Path, **kwargs: object) -> TritonServer:
    """Start a real tritonserver on free ports and wait until it is ready."""
    server = TritonServer(
        repository,
        endpoints=free_endpoints(),
        log_file=log_dir / "tritonserver.log",
        exit_timeout_s=5,
        **kwargs,  # type: ignore[arg-type]
    )
    server.start()
    try:
        server.wait_ready(600)  # minutes on a busy shared machine
    except Exception:
        server.stop()
        raise
    return server


@pytest.fixture(scope="session")
def triton_server(
    tiny_repository: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TritonServer]:
    """One tritonserver serving the tiny repository for the whole session."""
    log_dir = tmp_path_factory.mktemp("triton-log")
    server = start_server(tiny_repository, log_dir)
    yield server
    server.stop()
    log = (log_dir / "tritonserver.log").read_text(errors="replace")
    if " E1" in log or "\nE1" in log:
        print("--- tritonserver errors ---")
        print("\n".join(line for line in log.splitlines() if line.startswith("E")))
