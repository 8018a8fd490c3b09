"""Gateway errors as gRPC statuses (each error class names its code) and trailing metadata."""

from __future__ import annotations

import grpc

from gateway.errors import GatewayError


def grpc_status(error: GatewayError) -> grpc.StatusCode:
    """The gRPC status of ``error`` (its family's ``grpc_code``)."""
    return grpc.StatusCode[error.grpc_code]


def status_message(error: GatewayError) -> str:
    """The status details: the English message, then any field errors (gRPC has no body)."""
    problems = [
        f"{'.'.join(str(part) for part in detail.get('loc', ()))}: {detail.get('msg', '')}"
        for detail in error.details or ()
        if "loc" in detail
    ]
    return " ".join([error.message_en, *problems]) if problems else error.message_en


def error_metadata(error: GatewayError) -> tuple[tuple[str, str | bytes], ...]:
    """Trailing metadata of a failed call: the error code, the Korean message, retry advice."""
    metadata: list[tuple[str, str | bytes]] = [
        ("calle-error-code", error.code),
        ("calle-message-ko-bin", error.message_ko.encode("utf-8")),
    ]
    if error.retry_after_s is not None:
        metadata.append(("retry-after", str(error.retry_after_s)))
    return tuple(metadata)
