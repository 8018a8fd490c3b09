"""Make a failed request count as a failure in Triton's statistics (Python backend, Triton 2.51).

Why this exists (read in python_backend's ``src/python_be.cc`` and ``src/pb_metric_reporter.cc``
at r24.10, and measured with the 2.51 binary here): the backend reports ONE success flag for all
requests of an ``execute`` call, and that flag is false only when ``execute`` raises. A
``pb_utils.InferenceResponse(error=...)`` reaches the client as an error yet adds 1 to
``nv_inference_request_success`` (triton-inference-server/server issues #7713, #8521). Sending an
error through the response sender and then raising crashed 2.51 here (the backend frees the
sender's response factory a second time), so raising alone is the one way to count a failure.

Raising fails every request of the call with the same message and gRPC status ``INTERNAL`` (the
backend wraps the text as ``Failed to process the request(s) for model ..., message:
<Exception>: <text>``). So :func:`finish` raises only when every request of the call failed,
which is always the case for models that execute one request at a time (``diffusion``,
``chat_to_image``). In a batch where some requests succeed, the failed ones get error responses
and are undercounted: failing the good ones would be worse. A rejected input (the client's
fault) carries :data:`REJECTED` in its message so that clients, the gateway among them, can still
tell it from a server fault with :func:`contract.rejections.rejection_reason`.

Only :func:`error_response` imports ``triton_python_backend_utils`` (when called), so the rest
is unit-tested without a server.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from contract.rejections import rejected

R = TypeVar("R")


@dataclass(frozen=True)
class Failure:
    """A request that could not be answered.

    Attributes:
        message: What went wrong, for the client.
        rejected: The request's input was unusable (a client error), not a server fault.
    """

    message: str
    rejected: bool = False

    def text(self) -> str:
        """The message as the client reads it (rejections marked with :data:`REJECTED`)."""
        return rejected(self.message) if self.rejected else self.message


class ExecuteFailedError(RuntimeError):
    """Raised out of ``execute`` so that Triton counts the call's requests as failures."""


def error_response(failure: Failure) -> object:
    """The ``pb_utils.InferenceResponse`` of a failure: ``INVALID_ARG`` for a rejection."""
    import triton_python_backend_utils as pb_utils

    code = pb_utils.TritonError.INVALID_ARG if failure.rejected else pb_utils.TritonError.INTERNAL
    return pb_utils.InferenceResponse(error=pb_utils.TritonError(failure.text(), code))


def finish(
    results: Sequence[R | Failure],
    respond: Callable[[Failure], R] = error_response,  # type: ignore[assignment]
) -> list[R]:
    """What ``execute`` returns for ``results`` (one per request), or raises when all failed.

    Args:
        results: A response or a :class:`Failure` per request, in request order.
        respond: Builds the error response of a failure in a partly failed batch.

    Raises:
        ExecuteFailedError: Every request failed; its message joins their distinct messages.
    """
    failures = [r for r in results if isinstance(r, Failure)]
    if failures and len(failures) == len(results):
        raise ExecuteFailedError("; ".join(dict.fromkeys(f.text() for f in failures)))
    return [respond(r) if isinstance(r, Failure) else r for r in results]
