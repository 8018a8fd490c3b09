"""The host line of a benchmark: CPU, cores, instruction sets and the engines served there."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.repository import CURRENT, TENSOR_MODELS
from loadtest.benchmark import host
from loadtest.benchmark.host import ISA_FLAGS, cpu_model, describe_host, format_host


def test_the_host_names_the_engines_the_export_serves(tiny_repository: Path) -> None:
    described = describe_host(tiny_repository)
    assert set(described["engines"]) == set(TENSOR_MODELS)
    assert all(
        engine.partition("/")[0] in {"onnxruntime", "openvino"}
        for engine in described["engines"].values()
    )
    assert described["cores"] >= 1
    assert set(described["isa"]) <= set(ISA_FLAGS)
    assert described["cpu"]
    line = format_host(described)
    assert line.startswith(f"host: {described['cpu']}, {described['cores']} cores")
    assert f"unet {described['engines']['unet']}" in line


def test_an_export_root_is_read_through_its_current_switch(tiny_repository: Path) -> None:
    root = tiny_repository.parent
    assert (root / CURRENT).resolve() == tiny_repository.resolve()
    assert describe_host(root)["engines"] == describe_host(tiny_repository)["engines"]


def test_the_cpu_model_comes_from_cpuinfo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Example CPU @ 2.0GHz\nflags\t: avx2\n")
    monkeypatch.setattr(host, "CPUINFO", cpuinfo)
    assert cpu_model() == "Example CPU @ 2.0GHz"
    monkeypatch.setattr(host, "CPUINFO", tmp_path / "missing")
    assert cpu_model()
