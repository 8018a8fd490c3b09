"""ONNX graph helpers: the attention fusion keeps the graph's results and its weights' layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnx_ir
import pytest
import torch

from export.onnx_graph import export_graph, fuse_for_onnxruntime, graph_io
from triton_models.onnx_session import create_session


class _SelfAttention(torch.nn.Module):
    """Attention written the way diffusers writes it (``scaled_dot_product_attention``)."""

    def __init__(self, width: int = 32, heads: int = 4) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = torch.nn.Linear(width, 3 * width)
        self.out = torch.nn.Linear(width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, tokens, width = x.shape
        q, k, v = (
            t.reshape(batch, tokens, self.heads, width // self.heads).transpose(1, 2)
            for t in self.qkv(x).chunk(3, dim=-1)
        )
        attended = torch.nn.functional.scaled_dot_product_attention(q, k, v)
        return self.out(attended.transpose(1, 2).reshape(batch, tokens, width))


@pytest.mark.parametrize("external", [False, True])
def test_fused_attention_matches_pytorch(tmp_path: Path, external: bool) -> None:
    torch.manual_seed(0)
    module = _SelfAttention().eval()
    path = tmp_path / "model.onnx"
    batch, tokens = torch.export.Dim("batch", min=1, max=8), torch.export.Dim("tokens", max=64)
    export_graph(
        module,
        (torch.randn(2, 8, 32),),
        path,
        input_names=["x"],
        output_names=["y"],
        dynamic_shapes={"x": {0: batch, 1: tokens}},
    )
    if external:  # how graphs over 2 GB are stored
        onnx_ir.save(onnx_ir.load(path), path, external_data="model.onnx.data")
    before = graph_io(path)

    applied = fuse_for_onnxruntime(path)

    assert applied.get("sdpa", 0) >= 1
    ops = {(node.domain, node.op_type) for node in onnx.load(str(path)).graph.node}
    assert ("com.microsoft", "MultiHeadAttention") in ops
    assert ("", "Softmax") not in ops
    assert graph_io(path) == before
    assert (tmp_path / "model.onnx.data").exists() == external
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["model.onnx", "model.onnx.data"] if external else ["model.onnx"]
    )
    x = torch.randn(3, 13, 32)  # other batch and length than traced
    with torch.no_grad():
        expected = module(x).numpy()
    (got,) = create_session(path).run(None, {"x": x.numpy()})
    np.testing.assert_allclose(got, expected, atol=1e-5)
