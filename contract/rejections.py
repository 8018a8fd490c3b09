"""How a model marks a rejected input in its error message, and how a caller reads it back.

Triton's Python backend counts a request as failed only when ``execute`` raises, and a raised
error reaches the client as gRPC ``INTERNAL`` whatever its cause (see
:mod:`triton_models.failures`). A rejection (the client's fault) therefore carries
:data:`REJECTED` before its reason, so that callers (the gateway, ``chat_to_image``) can tell
it from a server fault.
"""

from __future__ import annotations

import re

REJECTED = "[rejected]"
_REASON = re.compile(re.escape(REJECTED) + r" (.*?)(?:\n\nAt:\n|\Z)", re.DOTALL)


def rejected(reason: str) -> str:
    """The error text of a rejected input."""
    return f"{REJECTED} {reason}"


def rejection_reason(message: str) -> str | None:
    """The reason of a rejected input in an error message from Triton, else ``None``.

    Strips what Triton wraps around a raised error (model instance, exception name, the
    Python traceback after ``At:``), also when a BLS caller passed it on.
    """
    match = _REASON.search(message)
    return match.group(1).strip() if match else None
