"""ONNX Runtime sessions configured the same way in export parity checks and in Triton."""

from __future__ import annotations

import os
from pathlib import Path

import onnxruntime as ort


def create_session(
    path: Path | str,
    *,
    intra_op_threads: int | None = None,
    use_gpu: bool = False,
) -> ort.InferenceSession:
    """Open ``path`` with full graph optimisation.

    Args:
        path: The ``.onnx`` file.
        intra_op_threads: Threads for one operator; defaults to ``CALLE_ORT_THREADS`` or 1.
            Triton runs one process per Python-backend instance, so one thread each keeps
            several instances from fighting over the cores; raise it for a single instance.
        use_gpu: Prefer the CUDA execution provider when this ONNX Runtime build has it.
    """
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    threads = intra_op_threads or int(os.environ.get("CALLE_ORT_THREADS", "1"))
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    providers = ["CPUExecutionProvider"]
    if use_gpu and "CUDAExecutionProvider" in ort.get_available_providers():
        providers.insert(0, "CUDAExecutionProvider")
    return ort.InferenceSession(str(path), sess_options=options, providers=providers)
