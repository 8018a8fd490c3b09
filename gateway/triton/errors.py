"""Triton's errors as gateway errors: the one place they are translated.

Triton 2.51 answers a request that finds a model's queue full (``max_queue_size``) with gRPC
``UNAVAILABLE`` and the message "Exceeds maximum queue size" (HTTP 503), the same code as an
unreachable server: the message tells them apart, so a full queue becomes 429 with
``Retry-After`` and an unreachable server 503.
"""

from __future__ import annotations

import re

from tritonclient.utils import InferenceServerException

from contract.rejections import rejection_reason
from contract.repository import DIFFUSION, SUMMARIZER
from gateway.errors import (
    GatewayError,
    ModelRejectedInputError,
    StageTimeoutError,
    TritonFailedError,
    TritonQueueFullError,
    TritonUnavailableError,
)

# The stage whose deadline a model's call counts against (named as in StageTimeoutError).
STAGE_OF_MODEL = {SUMMARIZER: "summary", DIFFUSION: "image"}
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
    # A model that raised to count the rejection as a failure (triton_models/failures.py).
    reason = rejection_reason(message)
    if reason is not None:
        return ModelRejectedInputError(model, reason)
    return TritonFailedError(model)
