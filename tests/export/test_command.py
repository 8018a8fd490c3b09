"""``calle export``'s wiring: where it writes by default, and a quiet exporter."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pytest

from contract.repository import DEFAULT_ROOT
from export import command
from export.onnx_graph import quiet_exporter_loggers


def _parse(argv: list[str], **register: object) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    command.register(parser.add_subparsers(dest="command", required=True), **register)
    return parser.parse_args(argv)


def test_default_output_is_asked_when_the_command_runs(tmp_path: Path) -> None:
    asked = []

    def served() -> Path:
        asked.append(True)
        return tmp_path

    args = _parse(["export"], default_output=served)
    assert not asked  # parsing reads no settings
    assert args.default_output() == tmp_path
    assert _parse(["export"]).default_output() == DEFAULT_ROOT
    assert _parse(["export", "--output", "elsewhere"]).output == Path("elsewhere")


def test_exporter_loggers_are_quieted() -> None:
    names = ("onnx_ir", "onnxscript", "torch.onnx._internal.exporter._registration")
    for name in names:
        logging.getLogger(name).setLevel(logging.NOTSET)
    quiet_exporter_loggers()
    levels = [logging.getLogger(name).level for name in names]
    assert levels == [logging.WARNING, logging.WARNING, logging.ERROR]


def test_static_batches_for_onnxruntime_are_refused_before_exporting(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    output = str(tmp_path / "out")
    asked = ["--engines", "unet=onnxruntime", "--unet-static-batches", "1,2"]
    args = _parse(["export", "--output", output, *asked])
    with caplog.at_level(logging.ERROR, logger="export.command"):
        assert args.run(args) == 1
    assert "unet: static batch sizes need the openvino engine" in caplog.text
    assert not (tmp_path / "out").exists()  # refused before any version was staged
    bad = _parse(["export", "--output", output, "--unet-static-batches", "x"])
    with caplog.at_level(logging.ERROR, logger="export.command"):
        assert bad.run(bad) == 1
    assert "static batch sizes must be auto, none or sizes like 1,2,4" in caplog.text
