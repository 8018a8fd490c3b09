"""Triton as the gateway's :class:`gateway.backend.Backend`.

:mod:`gateway.triton.backend` runs the ``summarizer`` and ``diffusion`` models over one
``grpc.aio`` client, :mod:`gateway.triton.readiness` keeps Triton's readiness current so
requests fail fast, and :mod:`gateway.triton.errors` is the one place Triton's errors become
gateway errors.
"""

from gateway.triton.backend import TritonBackend

__all__ = ["TritonBackend"]
