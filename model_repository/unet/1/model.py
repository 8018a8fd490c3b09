"""Triton model ``unet``: the UNet graph, run by the shared ONNX Runtime model."""

from model_repository.onnx_tensor_model import TritonPythonModel

__all__ = ["TritonPythonModel"]
