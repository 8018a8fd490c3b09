"""Export a PyTorch module to one ONNX graph with the ``torch.onnx`` dynamo exporter.

The dynamo exporter is used on purpose: the legacy TorchScript exporter was seen producing a
BART encoder off by 3.2 (max abs) from PyTorch with transformers 5.x. Every graph written here
is checked for parity afterwards (:mod:`export.parity`).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import onnx
import torch

log = logging.getLogger(__name__)

OPSET = 18  # onnxruntime 1.20+ and Triton 24.10's ORT 1.19 both run opset 18.


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
