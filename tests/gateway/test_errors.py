"""Every domain error maps to one HTTP status and one gRPC code, and bad input never to 5xx."""

from __future__ import annotations

import grpc
import pytest

from gateway import errors
from gateway.errors import (
    GatewayError,
    IngestError,
    InternalError,
    from_ingest_error,
    from_validation_errors,
)
from gateway.grpc.errors import error_metadata, grpc_status, status_message
from gateway.ingest import ChatFormatError, EmptyChatError

# One instance of every concrete error class, as the code raises them.
EXAMPLES: list[GatewayError] = [
    errors.InternalError(),
    errors.BadRequestError(),
    errors.InvalidJsonError(),
    errors.InvalidChatError(),
    errors.InvalidMessageError(),
    errors.CorsRefusedError("origin"),
    errors.BodyTimeoutError(30),
    errors.ModelRejectedInputError("diffusion", "height must be a multiple of 16"),
    errors.PayloadTooLargeError(1024 * 1024),
    errors.UnsupportedMediaTypeError(["application/json"]),
    errors.ValidationFailedError(),
    errors.NothingToSummarizeError(),
    errors.UnauthorizedError(),
    errors.NotFoundError(),
    errors.MethodNotAllowedError(),
    errors.GatewayBusyError(),
    errors.TritonQueueFullError("diffusion"),
    errors.TritonUnavailableError(),
    errors.TokenizerMismatchError("a" * 64, "b" * 64),
    errors.TritonFailedError("summarizer"),
    errors.StageTimeoutError("summary", 30),
]

EXPECTED = {
    "internal": (500, grpc.StatusCode.INTERNAL),
    "bad_request": (400, grpc.StatusCode.INVALID_ARGUMENT),
    "invalid_json": (400, grpc.StatusCode.INVALID_ARGUMENT),
    "invalid_chat": (400, grpc.StatusCode.INVALID_ARGUMENT),
    "invalid_message": (400, grpc.StatusCode.INVALID_ARGUMENT),
    "cors_refused": (400, grpc.StatusCode.INVALID_ARGUMENT),
    "body_timeout": (408, grpc.StatusCode.DEADLINE_EXCEEDED),
    "invalid_model_input": (400, grpc.StatusCode.INVALID_ARGUMENT),
    "payload_too_large": (413, grpc.StatusCode.INVALID_ARGUMENT),
    "unsupported_media_type": (415, grpc.StatusCode.INVALID_ARGUMENT),
    "validation_failed": (422, grpc.StatusCode.INVALID_ARGUMENT),
    "empty_chat": (422, grpc.StatusCode.INVALID_ARGUMENT),
    "unauthorized": (401, grpc.StatusCode.UNAUTHENTICATED),
    "not_found": (404, grpc.StatusCode.NOT_FOUND),
    "method_not_allowed": (405, grpc.StatusCode.UNIMPLEMENTED),
    "gateway_busy": (429, grpc.StatusCode.RESOURCE_EXHAUSTED),
    "model_queue_full": (429, grpc.StatusCode.RESOURCE_EXHAUSTED),
    "triton_unavailable": (503, grpc.StatusCode.UNAVAILABLE),
    "tokenizer_mismatch": (503, grpc.StatusCode.UNAVAILABLE),
    "triton_failed": (502, grpc.StatusCode.INTERNAL),
    "timeout": (504, grpc.StatusCode.DEADLINE_EXCEEDED),
}


def subclasses(kind: type) -> set[type]:
    found = set(kind.__subclasses__())
    for sub in list(found):
        found |= subclasses(sub)
    return found


def test_every_error_class_has_an_example():
    concrete = subclasses(GatewayError) - {errors.BusyError}  # BusyError is a family only
    assert {type(error) for error in EXAMPLES} == concrete


@pytest.mark.parametrize("error", EXAMPLES, ids=lambda e: e.code)
def test_each_error_maps_to_its_http_status_and_grpc_code(error):
    assert (error.http_status, grpc_status(error)) == EXPECTED[error.code]


@pytest.mark.parametrize("error", EXAMPLES, ids=lambda e: e.code)
def test_each_error_maps_through_a_family_that_says_so_not_a_fallback(error):
    # A new error class must join a family that declares both its status and its code.
    mro = type(error).__mro__
    families = mro[: mro.index(GatewayError)]
    if not isinstance(error, InternalError):
        assert any("http_status" in vars(kind) for kind in families)
        assert any("grpc_code" in vars(kind) for kind in families)


@pytest.mark.parametrize("error", EXAMPLES, ids=lambda e: e.code)
def test_each_error_speaks_korean_and_english(error):
    assert error.message_ko
    assert error.message_en
    assert any("\uac00" <= char <= "\ud7a3" for char in error.message_ko)
    assert error.message_ko != error.message_en


def test_codes_are_unique_and_stable():
    codes = [error.code for error in EXAMPLES]
    assert len(codes) == len(set(codes))
    assert set(codes) == set(EXPECTED)


def test_bad_input_is_never_a_server_error():
    bad_input = [e for e in EXAMPLES if grpc_status(e) == grpc.StatusCode.INVALID_ARGUMENT]
    assert all(400 <= error.http_status < 500 for error in bad_input)


def test_ingest_errors_become_400_or_422_with_their_messages():
    not_an_export = from_ingest_error(ChatFormatError())
    nothing_left = from_ingest_error(EmptyChatError())

    assert (not_an_export.code, not_an_export.http_status) == ("invalid_chat", 400)
    assert (nothing_left.code, nothing_left.http_status) == ("empty_chat", 422)
    assert not_an_export.message_ko == ChatFormatError().message_ko
    assert nothing_left.message_en == EmptyChatError().message_en
    assert isinstance(ChatFormatError(), IngestError)


def test_validation_details_never_echo_the_input():
    error = from_validation_errors(
        [{"loc": ("chat",), "msg": "too long", "type": "string_too_long", "input": "비밀 대화"}],
        prefix=("body",),
    )

    assert error.details == [
        {"loc": ["body", "chat"], "msg": "too long", "type": "string_too_long"}
    ]
    assert "비밀" not in str(error.details)


def test_grpc_trailers_carry_code_korean_message_and_retry_advice():
    metadata = dict(error_metadata(errors.GatewayBusyError()))

    assert metadata["calle-error-code"] == "gateway_busy"
    assert metadata["calle-message-ko-bin"].decode() == errors.GatewayBusyError().message_ko
    assert metadata["retry-after"] == str(errors.BusyError.retry_after_s)
    assert "retry-after" not in dict(error_metadata(InternalError()))


def test_grpc_status_message_lists_field_errors():
    error = from_validation_errors([{"loc": ("steps",), "msg": "too big", "type": "le"}])

    assert status_message(error).endswith("steps: too big")
