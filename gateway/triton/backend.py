"""Triton as the :class:`gateway.backend.Backend` the gateway serves from.

:class:`TritonBackend` owns one ``grpc.aio`` client and the readiness probe on it: both are
created in :meth:`TritonBackend.start` and closed in :meth:`TritonBackend.close`. It is the
only code that runs Triton's models; model and tensor names come from :mod:`contract`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

import numpy as np
import tritonclient.grpc as grpcclient
from tritonclient.grpc.aio import InferenceServerClient
from tritonclient.utils import InferenceServerException

from contract import tensors
from contract.repository import DIFFUSION, GATEWAY_MODELS, SUMMARIZER
from gateway.errors import ModelRejectedInputError, TritonUnavailableError
from gateway.metrics import GatewayMetrics
from gateway.request_id import current_request_id
from gateway.service_io import ImageRequest, ImageResult
from gateway.settings import GatewaySettings
from gateway.triton.errors import triton_error
from gateway.triton.readiness import TritonReadiness, channel_args

logger = logging.getLogger(__name__)

# The optional diffusion inputs, named as the ImageRequest fields they carry:
# tensor -> (Triton type, numpy type).
_IMAGE_INPUTS: dict[str, tuple[str, Any]] = {
    tensors.NEGATIVE_PROMPT: ("BYTES", np.object_),
    tensors.SEED: ("INT64", np.int64),
    tensors.STEPS: ("INT32", np.int32),
    tensors.GUIDANCE_SCALE: ("FP32", np.float32),
    tensors.HEIGHT: ("INT32", np.int32),
    tensors.WIDTH: ("INT32", np.int32),
}


def _text_input(name: str, texts: Sequence[str]) -> grpcclient.InferInput:
    array = np.array([[text.encode("utf-8")] for text in texts], dtype=np.object_)
    tensor = grpcclient.InferInput(name, list(array.shape), "BYTES")
    tensor.set_data_from_numpy(array)
    return tensor


def _scalar_input(name: str, value: object, triton_type: str, dtype: Any) -> grpcclient.InferInput:
    data = value.encode("utf-8") if isinstance(value, str) else value
    array = np.array([[data]], dtype=dtype)
    tensor = grpcclient.InferInput(name, [1, 1], triton_type)
    tensor.set_data_from_numpy(array)
    return tensor


class TritonBackend:
    """``summarizer`` and ``diffusion`` on one Triton, as Python calls.

    Args:
        grpc_url: ``host:port`` of Triton's gRPC endpoint.
        metrics: Where Triton errors are counted (the app's metrics).
        probe_interval_s: Time between readiness probes.
        probe_timeout_s: Deadline of one readiness probe.
    """

    def __init__(
        self,
        grpc_url: str,
        *,
        metrics: GatewayMetrics,
        probe_interval_s: float,
        probe_timeout_s: float,
    ) -> None:
        self._grpc_url = grpc_url
        self._metrics = metrics
        self._readiness = TritonReadiness(interval_s=probe_interval_s, timeout_s=probe_timeout_s)
        self._client: InferenceServerClient | None = None

    @classmethod
    def from_settings(cls, settings: GatewaySettings, *, metrics: GatewayMetrics) -> TritonBackend:
        """The Triton that ``settings`` point at (``CALLE_TRITON_*``, ``CALLE_TRITON_PROBE_*``)."""
        return cls(
            settings.triton.grpc_url,
            metrics=metrics,
            probe_interval_s=settings.triton_probe_interval_s,
            probe_timeout_s=settings.triton_probe_timeout_s,
        )

    async def start(self) -> None:
        """Open the client, probe once (so the first requests see the truth), keep probing."""
        self._client = InferenceServerClient(self._grpc_url, channel_args=channel_args())
        await self._readiness.start(self._client)
        logger.info("Triton at %s", self._grpc_url)

    async def close(self) -> None:
        """Stop probing and close the client."""
        await self._readiness.stop()
        if self._client is not None:
            await self._client.close()
            self._client = None

    def check_ready(self) -> None:
        """Fail fast while Triton is not ready (:class:`TritonUnavailableError`, 503)."""
        self._readiness.check()

    async def readiness(self, *, timeout_s: float) -> dict[str, bool]:
        """Whether each model the gateway calls is ready (all ``False`` when Triton is not)."""
        if not self._readiness.ready:
            return dict.fromkeys(GATEWAY_MODELS, False)
        client = self._connected()
        try:
            if not await client.is_server_ready(client_timeout=timeout_s):
                return dict.fromkeys(GATEWAY_MODELS, False)
            answers = await asyncio.gather(
                *(client.is_model_ready(name, client_timeout=timeout_s) for name in GATEWAY_MODELS)
            )
        except InferenceServerException as exc:
            logger.warning("Triton readiness check failed: %s", exc.status())
            return dict.fromkeys(GATEWAY_MODELS, False)
        return dict(zip(GATEWAY_MODELS, answers, strict=True))

    async def summarizer_tokenizer_digest(self, *, timeout_s: float) -> str | None:
        """The ``tokenizer_sha256`` parameter of the summarizer Triton serves now.

        ``None`` when Triton cannot say (the readiness answer then already says not ready).
        """
        try:
            response = await self._connected().get_model_config(
                SUMMARIZER, client_timeout=timeout_s
            )
        except InferenceServerException as exc:
            logger.warning("reading the summarizer's config failed: %s", exc.status())
            return None
        parameter = response.config.parameters.get(tensors.TOKENIZER_SHA256)
        return parameter.string_value if parameter is not None else ""

    def job(self) -> AbstractAsyncContextManager[None]:
        """Nothing to wait for: Triton schedules concurrent requests itself."""
        return contextlib.nullcontext()

    async def summarize(self, dialogue: str, *, timeout_s: float) -> str:
        """The summarizer's summary of ``dialogue``."""
        inputs = [_text_input(tensors.DIALOGUE, [dialogue])]
        result = await self._infer(SUMMARIZER, inputs, timeout_s)
        raw = result.as_numpy(tensors.SUMMARY).reshape(-1)[0]
        return raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)

    async def draw(self, request: ImageRequest, *, timeout_s: float) -> ImageResult:
        """A PNG for ``request`` from the ``diffusion`` model, with the seed it used."""
        inputs = [_text_input(tensors.PROMPT, [request.prompt])]
        for name, (triton_type, dtype) in _IMAGE_INPUTS.items():
            value = getattr(request, name)
            if value is not None:
                inputs.append(_scalar_input(name, value, triton_type, dtype))
        result = await self._infer(DIFFUSION, inputs, timeout_s)
        png = result.as_numpy(tensors.IMAGE).reshape(-1)[0]
        seed = int(result.as_numpy(tensors.SEED).reshape(-1)[0])
        return ImageResult(png=bytes(png), seed=seed)

    def _connected(self) -> InferenceServerClient:
        if self._client is None:
            raise RuntimeError("TritonBackend.start() was not called")
        return self._client

    async def _infer(
        self, model: str, inputs: list[grpcclient.InferInput], timeout_s: float
    ) -> grpcclient.InferResult:
        client = self._connected()
        try:
            # Cancelling this task (client gone, deadline, Triton gone) cancels the gRPC call,
            # and Triton then cancels the request.
            with self._readiness.call():
                return await client.infer(
                    model,
                    inputs,
                    request_id=current_request_id.get(),
                    client_timeout=timeout_s,
                )
        except asyncio.CancelledError:
            if not self._readiness.was_abandoned():
                raise
            self._metrics.triton_errors.labels(kind=TritonUnavailableError.code).inc()
            logger.warning("%s call cancelled: Triton not ready", model)
            raise TritonUnavailableError() from None
        except InferenceServerException as exc:
            error = triton_error(exc, model, timeout_s=timeout_s)
            if isinstance(error, TritonUnavailableError):
                self._readiness.mark_unavailable(f"{model} call: {exc.status()}")
            if not isinstance(error, ModelRejectedInputError):  # the client's fault, not Triton's
                self._metrics.triton_errors.labels(kind=error.code).inc()
            logger.warning("%s call failed: %s (%s)", model, error.code, exc.status())
            raise error from exc
