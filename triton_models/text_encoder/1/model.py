"""Triton model ``text_encoder``: the text encoder graph, run by the shared ONNX Runtime model."""

from triton_models.onnx_tensor_model import TritonPythonModel

__all__ = ["TritonPythonModel"]
