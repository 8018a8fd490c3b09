"""Per-request ids: accepted from the client or generated, carried into every log line.

HTTP reads ``X-Request-ID`` and gRPC the ``x-request-id`` metadata; both answer with the id
in use, so a person reporting a problem can quote it and the logs can be searched for it.
"""

from __future__ import annotations

import contextvars
import re
import uuid

HEADER = "X-Request-ID"
# What a client may choose: short, no spaces or control characters (they would forge log lines).
_ACCEPTED = re.compile(r"[A-Za-z0-9._:-]{1,128}")

current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "current_request_id", default="-"
)


def request_id_from(value: str | None) -> str:
    """The client's id when it is acceptable, else a new random one."""
    if value is not None and _ACCEPTED.fullmatch(value):
        return value
    return uuid.uuid4().hex
