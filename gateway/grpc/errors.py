"""Gateway errors as gRPC statuses: the one status table, and the trailing metadata."""

from __future__ import annotations

import grpc

from gateway.errors import (
    BadRequestError,
    BodyTimeoutError,
    BusyError,
    GatewayError,
    InternalError,
    MethodNotAllowedError,
    NotFoundError,
    PayloadTooLargeError,
    StageTimeoutError,
    TritonFailedError,
    TritonUnavailableError,
    UnauthorizedError,
    UnsupportedMediaTypeError,
    ValidationFailedError,
)

# Error family -> gRPC status; a subclass gets its nearest listed ancestor's code. Every kind of
# bad input is INVALID_ARGUMENT; RESOURCE_EXHAUSTED always means "retry later".
GRPC_STATUS: dict[type[GatewayError], grpc.StatusCode] = {
    BadRequestError: grpc.StatusCode.INVALID_ARGUMENT,
    UnauthorizedError: grpc.StatusCode.UNAUTHENTICATED,
    NotFoundError: grpc.StatusCode.NOT_FOUND,
    MethodNotAllowedError: grpc.StatusCode.UNIMPLEMENTED,
    BodyTimeoutError: grpc.StatusCode.DEADLINE_EXCEEDED,
    PayloadTooLargeError: grpc.StatusCode.INVALID_ARGUMENT,
    UnsupportedMediaTypeError: grpc.StatusCode.INVALID_ARGUMENT,
    ValidationFailedError: grpc.StatusCode.INVALID_ARGUMENT,
    BusyError: grpc.StatusCode.RESOURCE_EXHAUSTED,
    InternalError: grpc.StatusCode.INTERNAL,
    TritonFailedError: grpc.StatusCode.INTERNAL,
    TritonUnavailableError: grpc.StatusCode.UNAVAILABLE,
    StageTimeoutError: grpc.StatusCode.DEADLINE_EXCEEDED,
}


def grpc_status(error: GatewayError) -> grpc.StatusCode:
    """The gRPC status of ``error``."""
    for kind in type(error).__mro__:
        if kind in GRPC_STATUS:
            return GRPC_STATUS[kind]
    return grpc.StatusCode.INTERNAL


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
