"""The engines that run an exported tensor graph: ONNX Runtime or OpenVINO, float32 or bfloat16.

Export picks an engine and a precision per tensor model (``text_encoder``, ``unet``,
``vae_decoder``) and records them in the model's config; the Python-backend model, the export
parity checks and the benchmark's in-process peers all open the graph through
:func:`create_engine`, so what is checked is what is served.

OpenVINO reads the same ``model.onnx`` (exported without ONNX Runtime's ``com.microsoft``
fusions, which it does not read). Its CPU plugin computes in bfloat16 only where the CPU has
native bf16 (AVX512_BF16 or AMX) and otherwise silently falls back to float32; here a precision
that the compiled model does not report is an error, never a quiet fallback.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np

from triton_models.onnx_session import create_session

log = logging.getLogger(__name__)

ONNXRUNTIME = "onnxruntime"
OPENVINO = "openvino"
ENGINES = (ONNXRUNTIME, OPENVINO)
F32 = "f32"
BF16 = "bf16"
PRECISIONS = (F32, BF16)
# cpuinfo flags of native bf16 matmul/convolution (what OpenVINO's CPU plugin needs for bf16).
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


class EngineUnavailableError(RuntimeError):
    """The engine cannot run the graph at the precision asked for on this machine."""


@dataclass(frozen=True)
class EngineChoice:
    """How one tensor graph is run.

    Attributes:
        engine: ``onnxruntime`` or ``openvino``.
        precision: ``f32`` or ``bf16`` (OpenVINO only: ONNX Runtime's CPU provider has no bf16
            convolution or attention kernels).
    """

    engine: str = ONNXRUNTIME
    precision: str = F32

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)} (got {self.engine!r})")
        if self.precision not in PRECISIONS:
            raise ValueError(
                f"precision must be one of {', '.join(PRECISIONS)} (got {self.precision!r})"
            )
        if self.precision == BF16 and self.engine != OPENVINO:
            raise ValueError(f"bf16 needs the {OPENVINO} engine (got {self.engine})")

    @classmethod
    def parse(cls, text: str) -> EngineChoice:
        """Parse ``openvino/bf16``, ``openvino`` (float32) or ``onnxruntime``."""
        engine, _, precision = text.strip().partition("/")
        return cls(engine, precision or F32)

    def __str__(self) -> str:
        return f"{self.engine}/{self.precision}"


class TensorEngine(Protocol):
    """A compiled graph: named float/int inputs in, the named outputs out."""

    def run(self, output_names: Sequence[str], feeds: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        """Run the graph once on ``feeds`` and return ``output_names`` in that order."""
        ...


class OnnxRuntimeEngine:
    """ONNX Runtime session (see :func:`triton_models.onnx_session.create_session`)."""

    def __init__(self, path: Path, *, threads: int, use_gpu: bool) -> None:
        self.session = create_session(path, intra_op_threads=threads, use_gpu=use_gpu)

    def run(self, output_names: Sequence[str], feeds: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        """One ``InferenceSession.run``."""
        return self.session.run(list(output_names), dict(feeds))


class OpenVinoEngine:
    """OpenVINO CPU plugin on the ONNX graph, with the inference precision pinned.

    The precision is always set explicitly: on a bf16 CPU the plugin would otherwise compute a
    float32 graph in bf16 by default. One stream and ``threads`` threads, like one ONNX Runtime
    session per Triton instance, and no CPU pinning: the plugin assumes it owns the machine and
    pins its threads to the first cores, so every Triton instance (each its own process) pinned
    its one thread to the same core, and two unet instances ran one after the other (measured:
    286 against 139 ms per guided step each when two run at once; README "Image path").
    """

    def __init__(self, path: Path, *, precision: str, threads: int) -> None:
        import openvino as ov  # only models that run OpenVINO pay for importing it
        import openvino.properties as props
        import openvino.properties.hint as hints

        wanted = ov.Type.bf16 if precision == BF16 else ov.Type.f32
        if precision == BF16 and not cpu_has_bf16():
            raise EngineUnavailableError(
                f"{path}: bf16 needs a CPU with native bf16 ({' or '.join(BF16_CPU_FLAGS)}); this"
                f" one offers {', '.join(_openvino_capabilities())}: export with f32"
            )
        core = ov.Core()
        self.compiled = core.compile_model(
            core.read_model(str(path)),
            "CPU",
            {
                hints.inference_precision: wanted,
                hints.performance_mode: hints.PerformanceMode.LATENCY,
                props.streams.num: 1,
                props.inference_num_threads: threads,
                hints.enable_cpu_pinning: False,
            },
        )
        got = self.compiled.get_property(hints.inference_precision)
        if got != wanted:
            raise EngineUnavailableError(f"{path}: OpenVINO compiled for {got}, not {wanted}")
        self.request = self.compiled.create_infer_request()
        self.output_names = {name for port in self.compiled.outputs for name in port.names}

    def run(self, output_names: Sequence[str], feeds: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        """One synchronous inference; the outputs are copies (the request reuses its buffers)."""
        unknown = set(output_names) - self.output_names
        if unknown:
            raise ValueError(f"graph has no output(s) {sorted(unknown)}")
        results = self.request.infer(dict(feeds), share_outputs=False)
        return [np.asarray(results[name]) for name in output_names]


def create_engine(
    path: Path | str,
    choice: EngineChoice,
    *,
    threads: int | None = None,
    use_gpu: bool = False,
) -> TensorEngine:
    """Open the graph at ``path`` with ``choice``'s engine and precision.

    Args:
        path: The ``model.onnx`` file.
        choice: Engine and precision.
        threads: Threads for one inference; defaults to ``CALLE_ORT_THREADS`` or 1 (one per
            Triton instance, as the rate limiter hands out cores one at a time).
        use_gpu: ONNX Runtime only: prefer its CUDA provider.

    Raises:
        EngineUnavailableError: bf16 on a CPU without native bf16, or GPU with OpenVINO.
    """
    threads = threads or int(os.environ.get("CALLE_ORT_THREADS", "1"))
    if choice.engine == ONNXRUNTIME:
        return OnnxRuntimeEngine(Path(path), threads=threads, use_gpu=use_gpu)
    if use_gpu:
        raise EngineUnavailableError("the openvino engine runs on CPU instances only")
    return OpenVinoEngine(Path(path), precision=choice.precision, threads=threads)


@cache
def cpu_has_bf16() -> bool:
    """Whether this CPU computes bf16 natively, as OpenVINO's CPU plugin reports it.

    Falls back to the cpuinfo flags when OpenVINO is not installed.
    """
    try:
        return "BF16" in _openvino_capabilities()
    except ImportError:
        return bool(set(_cpu_flags()) & set(BF16_CPU_FLAGS))


def _openvino_capabilities() -> list[str]:
    import openvino as ov
    from openvino.properties import device

    return list(ov.Core().get_property("CPU", device.capabilities))


def _cpu_flags() -> list[str]:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return []
    for line in text.splitlines():
        if line.startswith("flags"):
            return line.partition(":")[2].split()
    return []


def cpu_description() -> str:
    """What the bf16 decision was based on, for export's log."""
    try:
        capabilities = ", ".join(_openvino_capabilities())
    except ImportError:
        capabilities = "OpenVINO not installed"
    flags = [flag for flag in _cpu_flags() if flag in BF16_CPU_FLAGS] or ["no bf16 flags"]
    return f"OpenVINO CPU capabilities: {capabilities}; cpuinfo: {', '.join(flags)}"
