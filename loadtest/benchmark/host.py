"""The machine a benchmark ran on, and the engines its export serves there.

Results from different machines differ by more than the changes they compare (one guided unet
step took 137 ms on one 2-core Xeon and 192-308 ms on another), and export's ``auto`` picks
engines by CPU, so every result names both: ``results.json`` under ``settings.host``, and a
line above the printed table.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

from export.repository import configured_engines
from export.versions import served_repository
from triton_models.tensor_engines import cpu_description, cpu_flags

CPUINFO = Path("/proc/cpuinfo")
# The instruction sets our engines' speed depends on: f32 vector width, int8 dot products
# (CTranslate2's int8 summarizer) and native bf16 (OpenVINO's bf16 unet).
ISA_FLAGS = (
    "avx2",
    "fma",
    "avx512f",
    "avx_vnni",
    "avx512_vnni",
    "avx512_bf16",
    "amx_bf16",
    "amx_int8",
)


def cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo``, else what ``platform`` says."""
    try:
        text = CPUINFO.read_text(encoding="utf-8")
    except OSError:
        text = ""
    for line in text.splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return platform.processor() or "unknown"


def describe_host(repository: Path) -> dict[str, Any]:
    """CPU, cores, instruction sets and the served repository's engine per tensor model."""
    flags = set(cpu_flags())
    engines = configured_engines(served_repository(repository))
    return {
        "cpu": cpu_model(),
        "cores": len(os.sched_getaffinity(0)),
        "isa": [flag for flag in ISA_FLAGS if flag in flags],
        "bf16": cpu_description(),
        "engines": {name: str(choice) for name, choice in engines.items()},
    }


def format_host(host: dict[str, Any]) -> str:
    """One line for the printed report."""
    engines = ", ".join(f"{name} {engine}" for name, engine in host["engines"].items())
    isa = " ".join(host["isa"]) or "no AVX2"
    return f"host: {host['cpu']}, {host['cores']} cores ({isa}); engines: {engines}"
