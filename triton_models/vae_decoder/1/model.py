"""Triton model ``vae_decoder``: the VAE decoder graph, run by the shared ONNX Runtime model."""

from triton_models.onnx_tensor_model import TritonPythonModel

__all__ = ["TritonPythonModel"]
