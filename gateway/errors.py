"""Domain errors, defined once: a stable code and a message in Korean and in English.

Each family carries its HTTP status and its gRPC code (a ``grpc.StatusCode`` name, so this module
imports no grpc); :mod:`gateway.http.errors` and :mod:`gateway.grpc.errors` only render them.
Messages say what to do next and never quote chat text: they are returned to clients and
logged.

Chat ingestion has its own errors (:class:`gateway.ingest.IngestError`, kept web-agnostic);
:func:`from_ingest_error` turns them into ours: a file that is not an export is bad input
(:class:`InvalidChatError`, 400) while a readable export with nothing left to summarize is well
formed but unprocessable (:class:`NothingToSummarizeError`, 422).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from gateway.ingest import EmptyChatError, IngestError


class GatewayError(Exception):
    """Base class of every error the gateway reports to a client.

    Each family says once how both front ends answer it: ``http_status`` and ``grpc_code``
    (a ``grpc.StatusCode`` name, so that this module needs no grpc); subclasses inherit them.
    Messages are the class's ``default_ko``/``default_en``, formatted with the keyword
    ``fields`` a constructor passes, unless a caller gives its own.

    Attributes:
        code: Stable machine-readable name (snake case), part of the API.
        message_ko: What went wrong and what to do, in Korean.
        message_en: The same in English.
        details: Optional structured details (validation errors, models not ready).
    """

    code: ClassVar[str] = "internal"
    http_status: ClassVar[int] = 500
    grpc_code: ClassVar[str] = "INTERNAL"
    # Seconds a client should wait before retrying (``Retry-After``); None: do not retry as is.
    retry_after_s: ClassVar[int | None] = None
    default_ko: ClassVar[str] = "서버 내부 오류가 발생했습니다. 잠시 후 다시 시도해 주세요."
    default_en: ClassVar[str] = "Internal server error. Please try again later."

    def __init__(
        self,
        message_ko: str | None = None,
        message_en: str | None = None,
        *,
        details: Sequence[dict[str, Any]] | None = None,
        **fields: object,
    ) -> None:
        self.message_ko = message_ko or self.default_ko.format(**fields)
        self.message_en = message_en or self.default_en.format(**fields)
        self.details = list(details) if details else None
        super().__init__(f"{self.code}: {self.message_en}")


class InternalError(GatewayError):
    """A bug or an unexpected failure in the gateway itself (the cause is logged, not shown)."""


class BadRequestError(GatewayError):
    """The request cannot be read."""

    code = "bad_request"
    http_status = 400
    grpc_code = "INVALID_ARGUMENT"
    default_ko = "요청을 읽을 수 없습니다. 요청 형식을 확인해 주세요."
    default_en = "The request cannot be read. Check its format."


class InvalidJsonError(BadRequestError):
    """The body says it is JSON but does not parse."""

    code = "invalid_json"
    default_ko = "요청 본문이 올바른 JSON이 아닙니다. JSON 문법을 확인해 주세요."
    default_en = "The request body is not valid JSON. Check its syntax."


class InvalidMessageError(BadRequestError):
    """A gRPC request's bytes are not the method's protobuf message."""

    code = "invalid_message"
    default_ko = "요청 메시지를 읽을 수 없습니다. calle.proto의 메시지로 보내 주세요."
    default_en = "The request is not a valid protobuf message of this method (see calle.proto)."


class CorsRefusedError(BadRequestError):
    """A CORS preflight asked for an origin, method or header that is not allowed."""

    code = "cors_refused"
    default_ko = (
        "허용되지 않은 CORS 요청입니다({refused}). 운영자에게 이 출처의 허용을 요청해 주세요."
    )
    default_en = "CORS preflight refused ({refused}). Ask the operator to allow this origin."

    def __init__(self, refused: str) -> None:
        super().__init__(refused=refused)


class InvalidChatError(BadRequestError):
    """The chat is not a KakaoTalk export or JSON message list in an accepted format."""

    code = "invalid_chat"
    default_ko = "카카오톡 대화 내보내기 파일이 아닙니다."
    default_en = "This is not a KakaoTalk chat export."


class ModelRejectedInputError(BadRequestError):
    """Triton's model refused a value the gateway could not check itself (e.g. image size)."""

    code = "invalid_model_input"
    default_ko = "모델({model})이 요청 값을 거부했습니다: {reason}"
    default_en = "The {model} model rejected the request: {reason}"

    def __init__(self, model: str, reason: str) -> None:
        super().__init__(model=model, reason=reason)


class PayloadTooLargeError(GatewayError):
    """The request body is larger than ``CALLE_MAX_REQUEST_BYTES``."""

    code = "payload_too_large"
    http_status = 413
    grpc_code = "INVALID_ARGUMENT"
    default_ko = (
        "요청이 너무 큽니다. 최대 {megabytes:.1f}MB까지 보낼 수 있습니다. "
        "최근 대화만 내보내거나 파일을 줄여 주세요."
    )
    default_en = (
        "The request is too large: at most {megabytes:.1f} MB is accepted. "
        "Export a shorter period or trim the file."
    )

    def __init__(self, limit_bytes: int) -> None:
        super().__init__(megabytes=limit_bytes / (1024 * 1024))


class BodyTimeoutError(GatewayError):
    """The client did not send its whole body within ``CALLE_BODY_TIMEOUT_S``."""

    code = "body_timeout"
    http_status = 408
    grpc_code = "DEADLINE_EXCEEDED"
    default_ko = (
        "요청 본문이 {timeout_s:g}초 안에 다 도착하지 않았습니다. 연결을 확인하고 다시 보내 주세요."
    )
    default_en = (
        "The request body did not arrive within {timeout_s:g} s. "
        "Check the connection and send it again."
    )

    def __init__(self, timeout_s: float) -> None:
        super().__init__(timeout_s=timeout_s)


class UnsupportedMediaTypeError(GatewayError):
    """The body's content type is not one the endpoint reads."""

    code = "unsupported_media_type"
    http_status = 415
    grpc_code = "INVALID_ARGUMENT"

    def __init__(self, accepted: Sequence[str], *, upload_path: str | None = None) -> None:
        names = ", ".join(accepted)
        ko = f"지원하지 않는 Content-Type입니다. 다음 중 하나로 보내 주세요: {names}"
        en = f"Unsupported Content-Type. Send one of: {names}"
        if upload_path is not None:
            ko += f". 파일 업로드(multipart/form-data)는 {upload_path} 로 보내 주세요."
            en += f". Send file uploads (multipart/form-data) to {upload_path}."
        details = [{"upload_route": upload_path}] if upload_path is not None else None
        super().__init__(ko, en, details=details)


class ValidationFailedError(GatewayError):
    """The request parses but its fields are missing, of the wrong type or out of range."""

    code = "validation_failed"
    http_status = 422
    grpc_code = "INVALID_ARGUMENT"
    default_ko = "요청 값이 올바르지 않습니다. details 항목을 확인해 주세요."
    default_en = "Some request fields are invalid; see details."


class NothingToSummarizeError(ValidationFailedError):
    """The chat was read but holds no message to summarize."""

    code = "empty_chat"


class UnauthorizedError(GatewayError):
    """API keys are on and the request carries none, or an unknown one."""

    code = "unauthorized"
    http_status = 401
    grpc_code = "UNAUTHENTICATED"
    default_ko = (
        "API 키가 필요합니다. 'Authorization: Bearer <키>' 또는 'X-API-Key' 헤더로 보내 주세요."
    )
    default_en = "An API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key'."


class NotFoundError(GatewayError):
    """No such route."""

    code = "not_found"
    http_status = 404
    grpc_code = "NOT_FOUND"
    default_ko = "요청한 주소가 없습니다. API 문서(/docs)를 확인해 주세요."
    default_en = "No such endpoint. See the API documentation at /docs."


class MethodNotAllowedError(GatewayError):
    """The route exists but not with this method."""

    code = "method_not_allowed"
    http_status = 405
    grpc_code = "UNIMPLEMENTED"
    default_ko = "이 주소에서 지원하지 않는 메서드입니다. API 문서(/docs)를 확인해 주세요."
    default_en = "This method is not allowed here. See the API documentation at /docs."


class BusyError(GatewayError):
    """Too much work right now; the client should retry after :attr:`retry_after_s` seconds.

    A short fixed delay: the gateway cannot predict when a slot or a queue place frees up, and
    clients are expected to back off further on repeated refusals.
    """

    code = "busy"
    http_status = 429
    grpc_code = "RESOURCE_EXHAUSTED"  # always "retry later"
    retry_after_s: ClassVar[int | None] = 2


class GatewayBusyError(BusyError):
    """The gateway already serves ``CALLE_MAX_CONCURRENCY`` requests."""

    code = "gateway_busy"
    default_ko = (
        f"지금 요청이 많아 처리할 수 없습니다. {BusyError.retry_after_s}초 후에 다시 시도해 주세요."
    )
    default_en = f"Too many requests in progress. Retry in {BusyError.retry_after_s} s."


class TritonQueueFullError(BusyError):
    """Triton rejected the request because the model's queue is full."""

    code = "model_queue_full"
    default_ko = (
        "모델({model}) 대기열이 가득 찼습니다. "
        f"{BusyError.retry_after_s}초 후에 다시 시도해 주세요."
    )
    default_en = f"The {{model}} model's queue is full. Retry in {BusyError.retry_after_s} s."

    def __init__(self, model: str) -> None:
        super().__init__(model=model)


class TritonUnavailableError(GatewayError):
    """Triton cannot be reached, or a model the request needs is not ready."""

    code = "triton_unavailable"
    http_status = 503
    grpc_code = "UNAVAILABLE"
    retry_after_s: ClassVar[int | None] = 1  # a restart or a stall: usually seconds
    default_ko = "추론 서버에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요."
    default_en = "The inference server is unavailable. Please try again shortly."


class TokenizerMismatchError(TritonUnavailableError):
    """The gateway trims chats with another tokenizer than the summarizer Triton serves."""

    code = "tokenizer_mismatch"

    def __init__(self, gateway_digest: str, summarizer_digest: str | None) -> None:
        served = summarizer_digest or "unknown"
        super().__init__(
            "게이트웨이의 토크나이저가 요약 모델의 토크나이저와 다릅니다. "
            "같은 export의 tokenizer.json을 사용하세요.",
            f"The gateway's summarizer tokenizer (sha256 {gateway_digest[:12]}) differs from the "
            f"one Triton's summarizer was exported with ({served[:12]}): point "
            "CALLE_SUMMARIZER_TOKENIZER at that export's summarizer/1/tokenizer.json (each "
            "readiness check re-reads the file).",
            details=[
                {
                    "model": "summarizer",
                    "ready": False,
                    "reason": "tokenizer_mismatch",
                    "gateway_tokenizer_sha256": gateway_digest,
                    "summarizer_tokenizer_sha256": summarizer_digest,
                }
            ],
        )


class TritonFailedError(GatewayError):
    """Triton answered with an error that is not the request's fault."""

    code = "triton_failed"
    http_status = 502
    grpc_code = "INTERNAL"
    default_ko = "모델({model}) 실행 중 오류가 발생했습니다. 잠시 후 다시 시도해 주세요."
    default_en = "The {model} model failed. Please try again later."

    def __init__(self, model: str) -> None:
        super().__init__(model=model)


class StageTimeoutError(GatewayError):
    """A stage (summary or image) did not finish within its deadline."""

    code = "timeout"
    http_status = 504
    grpc_code = "DEADLINE_EXCEEDED"
    default_ko = (
        "{stage_ko} 단계가 {timeout_s:g}초 안에 끝나지 않았습니다. "
        "대화를 줄이거나 잠시 후 다시 시도해 주세요."
    )
    default_en = (
        "The {stage} stage did not finish within {timeout_s:g} s. "
        "Send a shorter chat or try again later."
    )
    _STAGES_KO: ClassVar[dict[str, str]] = {"summary": "요약", "image": "그림 생성"}

    def __init__(self, stage: str, timeout_s: float) -> None:
        stage_ko = self._STAGES_KO.get(stage, stage)
        super().__init__(stage=stage, stage_ko=stage_ko, timeout_s=timeout_s)
        self.stage = stage


def from_ingest_error(error: IngestError) -> GatewayError:
    """The gateway error for a chat ingestion error, with its Korean and English messages."""
    kind = NothingToSummarizeError if isinstance(error, EmptyChatError) else InvalidChatError
    return kind(error.message_ko, error.message_en)


def from_validation_errors(
    errors: Sequence[Any], prefix: Sequence[str] = ()
) -> ValidationFailedError:
    """A :class:`ValidationFailedError` from pydantic-style errors, without the input values.

    pydantic's errors echo the offending input, which may be chat text: only the location, the
    message and the error type are kept.

    Args:
        errors: pydantic's ``errors()`` (or FastAPI's, whose locations start with ``body``).
        prefix: Prepended to each location (``("chat", "messages")`` for a gRPC chat's).
    """
    details = [
        {
            "loc": [*prefix, *(str(part) for part in error.get("loc", ()))],
            "msg": str(error.get("msg", "")),
            "type": str(error.get("type", "")),
        }
        for error in errors
    ]
    return ValidationFailedError(details=details)
