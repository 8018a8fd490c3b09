"""The three Triton models the gateway calls, over one shared ``grpc.aio`` client.

This is the only module that runs Triton's models and the only place Triton's errors become
gateway errors (:func:`triton_error`); :mod:`gateway.triton_health` keeps Triton's readiness.
Triton 2.51 answers a request that finds a model's queue full (``max_queue_size``) with gRPC
``UNAVAILABLE`` and the message "Exceeds maximum queue size" (HTTP 503), the same code as an
unreachable server: the message tells them apart, so a full queue becomes 429 with
``Retry-After`` and an unreachable server 503.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import tritonclient.grpc as grpcclient
from tritonclient.grpc.aio import InferenceServerClient
from tritonclient.utils import InferenceServerException

from contract.rejections import rejection_reason
from gateway.errors import (
    GatewayError,
    ModelRejectedInputError,
    StageTimeoutError,
    TritonFailedError,
    TritonQueueFullError,
    TritonUnavailableError,
)
from gateway.metrics import GatewayMetrics
from gateway.request_id import current_request_id
from gateway.service_io import ImageRequest, ImageResult
from gateway.triton_health import TritonReadiness

logger = logging.getLogger(__name__)

SUMMARIZER = "summarizer"
DIFFUSION = "diffusion"
REQUIRED_MODELS = (SUMMARIZER, DIFFUSION)
# The stage whose deadline a model's call counts against (named as in StageTimeoutError).
STAGE_OF_MODEL = {SUMMARIZER: "summary", DIFFUSION: "image"}
# The summarizer's config parameter holding the SHA-256 of the tokenizer it was exported with.
TOKENIZER_PARAMETER = "tokenizer_sha256"

# The optional diffusion inputs: request field -> (Triton type, numpy type).
_IMAGE_INPUTS: dict[str, tuple[str, Any]] = {
    "negative_prompt": ("BYTES", np.object_),
    "seed": ("INT64", np.int64),
    "steps": ("INT32", np.int32),
    "guidance_scale": ("FP32", np.float32),
    "height": ("INT32", np.int32),
    "width": ("INT32", np.int32),
}
_REQUEST_ID_PREFIX = re.compile(r"^\[request id: [^\]]*\]\s*")


def triton_error(error: InferenceServerException, model: str, *, timeout_s: float) -> GatewayError:
    """The gateway error for an error Triton (or the channel to it) returned.

    Args:
        error: What ``tritonclient`` raised.
        model: The model that was called.
        timeout_s: The deadline the call ran under (for the timeout message).
    """
    status = str(error.status() or "")
    message = _REQUEST_ID_PREFIX.sub("", error.message() or "")
    if status.endswith("UNAVAILABLE") and "maximum queue size" in message.lower():
        return TritonQueueFullError(model)
    if status.endswith(("UNAVAILABLE", "NOT_FOUND")):
        return TritonUnavailableError()
    if status.endswith("DEADLINE_EXCEEDED"):
        return StageTimeoutError(STAGE_OF_MODEL.get(model, model), timeout_s)
    if status.endswith("INVALID_ARGUMENT"):
        return ModelRejectedInputError(model, message)
    # A model that raised to count the rejection as a failure (model_repository/failures.py).
    reason = rejection_reason(message)
    if reason is not None:
        return ModelRejectedInputError(model, reason)
    return TritonFailedError(model)


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


class TritonModels:
    """``summarizer`` and ``diffusion`` as Python calls.

    Args:
        client: The process's Triton client (created and closed by the app's lifespan).
        metrics: Where Triton errors are counted.
        readiness: Triton's readiness (the lifespan runs its probe).
    """

    def __init__(
        self,
        client: InferenceServerClient,
        *,
        metrics: GatewayMetrics,
        readiness: TritonReadiness,
    ) -> None:
        self._client = client
        self._metrics = metrics
        self._readiness = readiness

    async def summarizer_tokenizer_digest(self, *, timeout_s: float) -> str | None:
        """The ``tokenizer_sha256`` parameter of the summarizer Triton serves now.

        ``None`` when Triton cannot say (the readiness answer then already says not ready).
        """
        try:
            response = await self._client.get_model_config(SUMMARIZER, client_timeout=timeout_s)
        except InferenceServerException as exc:
            logger.warning("reading the summarizer's config failed: %s", exc.status())
            return None
        parameter = response.config.parameters.get(TOKENIZER_PARAMETER)
        return parameter.string_value if parameter is not None else ""

    async def summarize(self, dialogue: str, *, timeout_s: float) -> str:
        """The summarizer's summary of ``dialogue``."""
        result = await self._infer(SUMMARIZER, [_text_input("dialogue", [dialogue])], timeout_s)
        raw = result.as_numpy("summary").reshape(-1)[0]
        return raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)

    async def generate_image(self, request: ImageRequest, *, timeout_s: float) -> ImageResult:
        """A PNG for ``request`` from the ``diffusion`` model, with the seed it used."""
        inputs = [_text_input("prompt", [request.prompt])]
        for name, (triton_type, dtype) in _IMAGE_INPUTS.items():
            value = getattr(request, name)
            if value is not None:
                inputs.append(_scalar_input(name, value, triton_type, dtype))
        result = await self._infer(DIFFUSION, inputs, timeout_s)
        png = result.as_numpy("image").reshape(-1)[0]
        seed = int(result.as_numpy("seed").reshape(-1)[0])
        return ImageResult(png=bytes(png), seed=seed)

    def check_ready(self) -> None:
        """Fail fast while Triton is not ready (:class:`TritonUnavailableError`, 503)."""
        self._readiness.check()

    async def readiness(self, *, timeout_s: float) -> dict[str, bool]:
        """Whether each required model is ready (all ``False`` when Triton is not)."""
        if not self._readiness.ready:
            return dict.fromkeys(REQUIRED_MODELS, False)
        try:
            if not await self._client.is_server_ready(client_timeout=timeout_s):
                return dict.fromkeys(REQUIRED_MODELS, False)
            answers = await asyncio.gather(
                *(
                    self._client.is_model_ready(name, client_timeout=timeout_s)
                    for name in REQUIRED_MODELS
                )
            )
        except InferenceServerException as exc:
            logger.warning("Triton readiness check failed: %s", exc.status())
            return dict.fromkeys(REQUIRED_MODELS, False)
        return dict(zip(REQUIRED_MODELS, answers, strict=True))

    async def _infer(
        self, model: str, inputs: list[grpcclient.InferInput], timeout_s: float
    ) -> grpcclient.InferResult:
        try:
            # Cancelling this task (client gone, deadline, Triton gone) cancels the gRPC call,
            # and Triton then cancels the request.
            with self._readiness.call():
                return await self._client.infer(
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
