"""The engines that run an exported tensor graph: ONNX Runtime or OpenVINO, float32 or bfloat16.

Export picks an engine and a precision per tensor model (``text_encoder``, ``unet``,
``vae_decoder``) and records them in the model's config; the Python-backend model, the export
parity checks and the benchmark's in-process peers all open the graph through
:func:`create_engine`, so what is checked is what is served.

OpenVINO reads the same ``model.onnx`` (exported without ONNX Runtime's ``com.microsoft``
fusions, which it does not read). Its CPU plugin computes in bfloat16 only where the CPU has
native bf16 (AVX512_BF16 or AMX) and otherwise silently falls back to float32; here a precision
that the compiled model does not report is an error, never a quiet fallback.

OpenVINO can also compile the graph for fixed input shapes (:class:`StaticShapes`), one
compiled model per batch size: on the small unet a guided step took 104.6 ms static against
139.6 ms with dynamic shapes (bf16, one thread; README "Image path"). A batch the batcher forms
runs on the largest compiled sizes that fit it, only a remainder below the smallest size padded
(:meth:`StaticShapes.plan`); other shapes (another image size) run on a dynamic compile made
the first time one arrives.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from contract.tensors import ENGINE, PRECISION, STATIC_BATCH_SIZES, STATIC_ROW_SHAPES
from triton_models.onnx_session import create_session

if TYPE_CHECKING:
    import openvino as ov

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
class StaticShapes:
    """The input shapes OpenVINO compiles the graph for ahead of the first request.

    Attributes:
        batch_sizes: One compiled model per batch size (rows), ascending.
        row_shapes: ``(input name, shape without the batch dimension)`` for every input.
    """

    batch_sizes: tuple[int, ...]
    row_shapes: tuple[tuple[str, tuple[int, ...]], ...]

    def __post_init__(self) -> None:
        if not self.batch_sizes or any(size < 1 for size in self.batch_sizes):
            raise ValueError(f"static batch sizes must be >= 1 (got {self.batch_sizes})")
        if list(self.batch_sizes) != sorted(set(self.batch_sizes)):
            raise ValueError(f"static batch sizes must ascend (got {self.batch_sizes})")
        if not self.row_shapes:
            raise ValueError("static shapes need the row shape of every input")

    @classmethod
    def parse(cls, batch_sizes: str, row_shapes: str) -> StaticShapes:
        """Parse the config parameters: ``"1,2,4"`` and ``"sample:4x32x32;timestep:;..."``."""
        try:
            sizes = tuple(int(size) for size in batch_sizes.split(","))
            rows = []
            for item in row_shapes.split(";"):
                name, sep, dims = item.partition(":")
                if not sep or not name:
                    raise ValueError(f"{item!r} is not name:AxBxC")
                rows.append((name, tuple(int(dim) for dim in dims.split("x")) if dims else ()))
        except ValueError as exc:
            raise ValueError(f"bad static shapes {batch_sizes!r} / {row_shapes!r}: {exc}") from exc
        return cls(sizes, tuple(rows))

    def parameters(self) -> dict[str, str]:
        """The config parameters :meth:`parse` reads."""
        rows = ";".join(f"{name}:{'x'.join(map(str, dims))}" for name, dims in self.row_shapes)
        return {
            STATIC_BATCH_SIZES: ",".join(map(str, self.batch_sizes)),
            STATIC_ROW_SHAPES: rows,
        }

    def matches(self, feeds: Mapping[str, np.ndarray]) -> bool:
        """Whether every input has its static row shape (the batch size may be any)."""
        return set(feeds) == {name for name, _ in self.row_shapes} and all(
            feeds[name].shape[1:] == dims for name, dims in self.row_shapes
        )

    def plan(self, rows: int) -> list[tuple[int, int]]:
        """``(rows taken, compiled batch size)`` per run for a batch of ``rows``.

        The largest compiled size that fits what remains, each time; only a remainder below the
        smallest size is padded. Padding 3 rows to 4 was measured slower than 2 + 1 (OpenVINO
        f32 on the small unet: 569 against 300 + 143 ms).
        """
        chunks = []
        while rows > 0:
            fitting = [size for size in self.batch_sizes if size <= rows]
            size = fitting[-1] if fitting else self.batch_sizes[0]
            chunks.append((min(rows, size), size))
            rows -= size
        return chunks


@dataclass(frozen=True)
class EngineChoice:
    """How one tensor graph is run.

    Attributes:
        engine: ``onnxruntime`` or ``openvino``.
        precision: ``f32`` or ``bf16`` (OpenVINO only: ONNX Runtime's CPU provider has no bf16
            convolution or attention kernels).
        static: OpenVINO only: the shapes to compile for ahead of time (else dynamic shapes).
    """

    engine: str = ONNXRUNTIME
    precision: str = F32
    static: StaticShapes | None = None

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)} (got {self.engine!r})")
        if self.precision not in PRECISIONS:
            raise ValueError(
                f"precision must be one of {', '.join(PRECISIONS)} (got {self.precision!r})"
            )
        if self.precision == BF16 and self.engine != OPENVINO:
            raise ValueError(f"bf16 needs the {OPENVINO} engine (got {self.engine})")
        if self.static is not None and self.engine != OPENVINO:
            raise ValueError(f"static shapes need the {OPENVINO} engine (got {self.engine})")

    @classmethod
    def parse(cls, text: str) -> EngineChoice:
        """Parse ``openvino/bf16``, ``openvino`` (float32) or ``onnxruntime``."""
        engine, _, precision = text.strip().partition("/")
        return cls(engine, precision or F32)

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, str]) -> EngineChoice:
        """Read a tensor model's config parameters (absent ones: the defaults)."""
        sizes = parameters.get(STATIC_BATCH_SIZES)
        static = StaticShapes.parse(sizes, parameters.get(STATIC_ROW_SHAPES, "")) if sizes else None
        return cls(
            parameters.get(ENGINE) or cls.engine,
            parameters.get(PRECISION) or cls.precision,
            static,
        )

    def parameters(self) -> dict[str, str]:
        """The config parameters :meth:`from_parameters` reads."""
        static = self.static.parameters() if self.static else {}
        return {ENGINE: self.engine, PRECISION: self.precision, **static}

    def __str__(self) -> str:
        text = f"{self.engine}/{self.precision}"
        if self.static:
            text += f" static batches {','.join(map(str, self.static.batch_sizes))}"
        return text


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

    With ``static`` shapes every batch size is compiled at construction (the model's warm-up:
    each compile takes about a second for the small unet), each with its own copy of the
    weights; the dynamic compile is made only when a shape outside them arrives.
    """

    def __init__(
        self, path: Path, *, precision: str, threads: int, static: StaticShapes | None = None
    ) -> None:
        import openvino as ov  # only models that run OpenVINO pay for importing it
        import openvino.properties as props
        import openvino.properties.hint as hints

        self.path, self.static = path, static
        self.wanted = ov.Type.bf16 if precision == BF16 else ov.Type.f32
        if precision == BF16 and not cpu_has_bf16():
            raise EngineUnavailableError(
                f"{path}: bf16 needs a CPU with native bf16 ({' or '.join(BF16_CPU_FLAGS)}); this"
                f" one offers {', '.join(_openvino_capabilities())}: export with f32"
            )
        self.core = ov.Core()
        self.properties = {
            hints.inference_precision: self.wanted,
            hints.performance_mode: hints.PerformanceMode.LATENCY,
            props.streams.num: 1,
            props.inference_num_threads: threads,
            hints.enable_cpu_pinning: False,
        }
        # The read model is not kept: it holds a float32 copy of the weights.
        model = self.core.read_model(str(path))
        self.output_names = {name for port in model.outputs for name in port.names}
        self.dynamic = None if static else self._compile(model)
        self.by_batch: dict[int, ov.InferRequest] = {}
        if static:
            for size in static.batch_sizes:
                model.reshape({name: [size, *dims] for name, dims in static.row_shapes})
                self.by_batch[size] = self._compile(model)
            log.info("%s: compiled for batch sizes %s", path, list(static.batch_sizes))

    def _compile(self, model: ov.Model) -> ov.InferRequest:
        import openvino.properties.hint as hints

        compiled = self.core.compile_model(model, "CPU", self.properties)
        got = compiled.get_property(hints.inference_precision)
        if got != self.wanted:
            raise EngineUnavailableError(
                f"{self.path}: OpenVINO compiled for {got}, not {self.wanted}"
            )
        return compiled.create_infer_request()

    def compiled_models(self) -> list[ov.CompiledModel]:
        """Every model compiled so far (the static batch sizes', then the dynamic one)."""
        requests = [*self.by_batch.values(), *([self.dynamic] if self.dynamic else [])]
        return [request.get_compiled_model() for request in requests]

    def run(self, output_names: Sequence[str], feeds: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        """One synchronous inference per compiled model used; the outputs are copies."""
        unknown = set(output_names) - self.output_names
        if unknown:
            raise ValueError(f"graph has no output(s) {sorted(unknown)}")
        if self.static is None or not self.static.matches(feeds):
            return self._infer(self._dynamic(), output_names, feeds)
        parts: list[list[np.ndarray]] = []
        start = 0
        for rows, size in self.static.plan(next(iter(feeds.values())).shape[0]):
            chunk = {name: _pad_rows(a[start : start + rows], size) for name, a in feeds.items()}
            outputs = self._infer(self.by_batch[size], output_names, chunk)
            parts.append([output[:rows] for output in outputs])
            start += rows
        if len(parts) == 1:
            return parts[0]
        return [np.concatenate(outputs) for outputs in zip(*parts, strict=True)]

    def _dynamic(self) -> ov.InferRequest:
        if self.dynamic is None:
            log.warning(
                "%s: compiling for dynamic shapes (a shape outside the static ones)", self.path
            )
            self.dynamic = self._compile(self.core.read_model(str(self.path)))
        return self.dynamic

    @staticmethod
    def _infer(
        request: ov.InferRequest, output_names: Sequence[str], feeds: Mapping[str, np.ndarray]
    ) -> list[np.ndarray]:
        # share_outputs=False: the request reuses its buffers on the next call.
        results = request.infer(dict(feeds), share_outputs=False)
        return [np.asarray(results[name]) for name in output_names]


def _pad_rows(array: np.ndarray, rows: int) -> np.ndarray:
    """``array`` with its last row repeated up to ``rows`` rows (a compiled batch size)."""
    missing = rows - array.shape[0]
    if missing == 0:
        return array
    return np.concatenate([array, np.repeat(array[-1:], missing, axis=0)])


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
    return OpenVinoEngine(
        Path(path), precision=choice.precision, threads=threads, static=choice.static
    )


@cache
def cpu_has_bf16() -> bool:
    """Whether this CPU computes bf16 natively, as OpenVINO's CPU plugin reports it.

    Falls back to the cpuinfo flags when OpenVINO is not installed.
    """
    try:
        return "BF16" in _openvino_capabilities()
    except ImportError:
        return bool(set(cpu_flags()) & set(BF16_CPU_FLAGS))


def _openvino_capabilities() -> list[str]:
    import openvino as ov
    from openvino.properties import device

    return list(ov.Core().get_property("CPU", device.capabilities))


def cpu_flags() -> list[str]:
    """This CPU's ``/proc/cpuinfo`` flags (none where the file is missing)."""
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
    flags = [flag for flag in cpu_flags() if flag in BF16_CPU_FLAGS] or ["no bf16 flags"]
    return f"OpenVINO CPU capabilities: {capabilities}; cpuinfo: {', '.join(flags)}"
