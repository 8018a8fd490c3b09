"""Fixtures for the command-line tests."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from portpicker import pick_unused_port

from export.options import ExportOptions
from export.versions import write_verdict


@pytest.fixture
def exported(tiny_repository: Path, tmp_path: Path) -> Path:
    """The session's tiny export, recorded as what ``calle export`` (no flags) would write.

    It holds the same tiny preset weights (built with the same seed); only its manifest names
    the checkpoint directory the session built, so it is rewritten and the demo's
    ``export --if-needed`` skips a second export.
    """
    repository = tmp_path / "model_repository"
    shutil.copytree(tiny_repository, repository)
    write_verdict(repository, ExportOptions(output=repository).manifest(), error=None)
    return repository


def calle_command(subcommand: str, repository: Path, *, http_port: int, **flags: str) -> list[str]:
    """``calle <subcommand>`` on ``repository``: the gateway on ``http_port``, free other ports.

    ``flags`` are further options, ``image="x"`` for ``--image x``.
    """
    command = [str(Path(sys.executable).with_name("calle")), subcommand, "--repository"]
    command.append(str(repository))
    ports = {
        "--triton-http-port": pick_unused_port(),
        "--triton-grpc-port": pick_unused_port(),
        "--triton-metrics-port": pick_unused_port(),
        "--http-port": http_port,
        "--grpc-port": pick_unused_port(),
    }
    command += [str(part) for flag, port in ports.items() for part in (flag, port)]
    return command + [part for name, value in flags.items() for part in (f"--{name}", value)]
