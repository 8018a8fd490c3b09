"""Export a PyTorch module to one ONNX graph with the ``torch.onnx`` dynamo exporter.

The dynamo exporter is used on purpose: the legacy TorchScript exporter was seen producing a
BART encoder off by 3.2 (max abs) from PyTorch with transformers 5.x. Every graph written here
is checked for parity afterwards (:mod:`export.parity`).
"""

from __future__ import annotations

import logging
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import onnx
import onnx_ir
import torch
from onnxscript.rewriter.ort_fusions import optimize_for_ort

log = logging.getLogger(__name__)

OPSET = 18  # onnxruntime 1.20+ and Triton 24.10's ORT 1.19 both run opset 18.


def quiet_exporter_loggers() -> None:
    """Keep the exporter's chatter out of an export's log; called where an export starts.

    The optimiser passes of ``onnx_ir``/``onnxscript`` log every rewritten initializer at INFO
    (thousands of lines for one KoBART export), and the exporter warns on every graph that
    torchvision's ops (which no model here uses) are not registered without torchvision.
    """
    for noisy in ("onnx_ir", "onnxscript"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("torch.onnx._internal.exporter._registration").setLevel(logging.ERROR)


def export_graph(
    module: torch.nn.Module,
    args: tuple[Any, ...],
    path: Path,
    *,
    input_names: Sequence[str],
    output_names: Sequence[str],
    dynamic_shapes: dict[str, Any] | tuple[Any, ...],
) -> Path:
    """Export ``module`` called with ``args`` to ``path`` and check the graph.

    Args:
        module: The module to export, in eval mode.
        args: Example positional inputs (traced once; dims in ``dynamic_shapes`` stay symbolic).
        path: Where the ``.onnx`` file goes; weights over 2 GB go to ``<path>.data`` beside it.
        input_names: Graph input names, in ``args`` order.
        output_names: Graph output names, in the order ``module`` returns them.
        dynamic_shapes: ``torch.export`` dynamic shape spec keyed like ``module.forward``.

    Returns:
        ``path``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(
            module.eval(),
            args,
            f=None,
            dynamo=True,
            input_names=list(input_names),
            output_names=list(output_names),
            dynamic_shapes=dynamic_shapes,
            opset_version=OPSET,
            verbose=False,
        )
    if program is None:  # pragma: no cover - dynamo=True always returns a program
        raise RuntimeError(f"torch.onnx.export returned nothing for {path.name}")
    program.save(str(path))
    onnx.checker.check_model(str(path))
    log.info("exported %s", path)
    return path


def fuse_for_onnxruntime(path: Path) -> dict[str, int]:
    """Rewrite the graph at ``path`` with ONNX Runtime's fused attention kernels.

    The dynamo exporter writes scaled-dot-product attention as MatMul/Softmax/MatMul, which ONNX
    Runtime's own optimizer does not fuse; onnxscript's ORT fusions turn it into
    ``com.microsoft.MultiHeadAttention`` (and Add+LayerNorm into ``SkipLayerNormalization``).
    On the small preset's unet, one thread, that is 274 -> 241 ms per guided step; the
    summarizer's graphs got slower and the text encoder and VAE decoder did not change, so only
    the unet is fused (:mod:`export.diffusion`). ``com.microsoft`` ops run on ONNX Runtime's CPU
    and CUDA providers, not under TensorRT. Parity is checked on the fused graph.

    Returns:
        How many times each fusion was applied.
    """
    model, fusions = optimize_for_ort(onnx_ir.load(path))
    data = path.with_name(path.name + ".data")
    # Written beside, then moved over: the loaded model still reads its weights from ``path``.
    with tempfile.TemporaryDirectory(dir=path.parent) as scratch:
        fused = Path(scratch) / path.name
        onnx_ir.save(model, fused, external_data=data.name if data.exists() else None)
        for written in Path(scratch).iterdir():
            written.replace(path.parent / written.name)
    applied = {name: count for name, count in fusions.items() if count}
    log.info("fused %s: %s", path, applied)
    return applied


def graph_io(
    path: Path,
) -> tuple[dict[str, tuple[int, list[int | str]]], dict[str, tuple[int, list[int | str]]]]:
    """Inputs and outputs of an ONNX graph: name -> (ONNX element type, dims).

    Symbolic dims are returned as their names; used to check Triton configs against graphs.
    """
    model = onnx.load(str(path), load_external_data=False)

    def describe(values: Sequence[onnx.ValueInfoProto]) -> dict[str, tuple[int, list[int | str]]]:
        out: dict[str, tuple[int, list[int | str]]] = {}
        for value in values:
            tensor = value.type.tensor_type
            dims: list[int | str] = [d.dim_param or d.dim_value for d in tensor.shape.dim]
            out[value.name] = (tensor.elem_type, dims)
        return out

    return describe(model.graph.input), describe(model.graph.output)
