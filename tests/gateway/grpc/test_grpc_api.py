"""The gRPC API with a real client: each method, stream order, health, reflection, errors."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from gateway.grpc.generated import calle_pb2, calle_pb2_grpc
from tests.gateway.fakes import FakeBackend
from tests.gateway.grpc.conftest import FakeGrpcGateway
from tests.gateway.helpers import SAMPLE_CHAT, GatewayProcess

pytestmark = pytest.mark.triton

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EXPORT = calle_pb2.Chat(export=SAMPLE_CHAT.read_bytes())


@contextmanager
def channel_to(gateway: GatewayProcess) -> Iterator[grpc.Channel]:
    """A ready channel to ``gateway``'s gRPC port."""
    with grpc.insecure_channel(gateway.grpc_target) as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        yield channel


@pytest.fixture
def stub(gateway: GatewayProcess) -> Iterator[calle_pb2_grpc.CalleStub]:
    with channel_to(gateway) as channel:
        yield calle_pb2_grpc.CalleStub(channel)


def rpc_error(call: Callable[[], object]) -> grpc.RpcError:
    """The error ``call`` fails with (streams: read them inside ``call``)."""
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value


def trailers(error: grpc.RpcError) -> dict[str, str | bytes]:
    return dict(error.trailing_metadata() or ())


def test_summarize_an_export(stub):
    summary, call = stub.Summarize.with_call(
        calle_pb2.SummarizeRequest(chat=EXPORT), metadata=(("x-request-id", "grpc-req-1"),)
    )

    assert summary.summary
    assert summary.chat_format == "pc_windows_ko"
    assert 1 <= summary.message_count <= 31
    assert summary.end == "2024-05-03T12:46:00"
    assert dict(call.initial_metadata())["x-request-id"] == "grpc-req-1"


def test_summarize_messages(stub):
    messages = calle_pb2.ChatMessages(
        messages=[
            calle_pb2.ChatMessage(speaker="민지", text="내일 부산?", time="2024-05-02T20:00:00"),
            calle_pb2.ChatMessage(speaker="지훈", text="좋아"),
        ]
    )

    summary = stub.Summarize(calle_pb2.SummarizeRequest(chat=calle_pb2.Chat(messages=messages)))

    assert (summary.message_count, summary.speaker_count, summary.chat_format) == (2, 2, "json")


def test_generate_image(stub):
    image = stub.GenerateImage(
        calle_pb2.GenerateImageRequest(
            prompt="부산 바다", options=calle_pb2.ImageOptions(seed=9, steps=2, width=48)
        )
    )

    assert image.png.startswith(PNG_MAGIC)
    assert image.seed == 9


def test_chat_to_image_streams_the_summary_first_and_earlier(stub):
    request = calle_pb2.ChatToImageRequest(
        chat=EXPORT, options=calle_pb2.ImageOptions(steps=25, seed=4)
    )

    arrivals = [(event, time.monotonic()) for event in stub.ChatToImage(request)]

    assert [event.WhichOneof("event") for event, _ in arrivals] == ["summary", "image"]
    (summary, summary_at), (image, image_at) = arrivals
    assert summary.summary.summary
    assert image.image.png.startswith(PNG_MAGIC)
    assert image.image.seed == 4
    assert summary_at < image_at


def test_bad_input_is_invalid_argument_with_code_and_korean_message(stub):
    chat = calle_pb2.Chat(export="메모일 뿐".encode())

    error = rpc_error(lambda: stub.Summarize(calle_pb2.SummarizeRequest(chat=chat)))

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "KakaoTalk" in error.details()
    metadata = trailers(error)
    assert metadata["calle-error-code"] == "invalid_chat"
    assert "카카오톡" in metadata["calle-message-ko-bin"].decode()


@pytest.mark.parametrize(
    "request_",
    [
        calle_pb2.SummarizeRequest(),  # no chat
        calle_pb2.GenerateImageRequest(prompt=""),
        calle_pb2.GenerateImageRequest(prompt="x", options=calle_pb2.ImageOptions(steps=0)),
        # The tiny export takes multiples of 16 up to 128, as over HTTP.
        calle_pb2.GenerateImageRequest(prompt="x", options=calle_pb2.ImageOptions(width=40)),
        calle_pb2.GenerateImageRequest(prompt="x", options=calle_pb2.ImageOptions(height=256)),
    ],
)
def test_invalid_fields_are_invalid_argument(stub, request_):
    method = stub.Summarize if isinstance(request_, calle_pb2.SummarizeRequest) else None

    error = rpc_error(lambda: (method or stub.GenerateImage)(request_))

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert trailers(error)["calle-error-code"] == "validation_failed"


def test_a_bad_stream_request_fails_the_stream(stub):
    request = calle_pb2.ChatToImageRequest(
        chat=EXPORT, options=calle_pb2.ImageOptions(guidance_scale=99)
    )

    error = rpc_error(lambda: list(stub.ChatToImage(request)))

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "guidance_scale" in error.details()


def test_a_stream_size_the_export_does_not_take_fails_before_the_summary(stub):
    request = calle_pb2.ChatToImageRequest(chat=EXPORT, options=calle_pb2.ImageOptions(width=40))

    error = rpc_error(lambda: list(stub.ChatToImage(request)))

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert trailers(error)["calle-error-code"] == "validation_failed"
    assert "width" in error.details()


def test_health_check_serves_the_server_and_the_service(gateway):
    with channel_to(gateway) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", "calle.v1.Calle"):
            answer = health.Check(health_pb2.HealthCheckRequest(service=service))
            assert answer.status == health_pb2.HealthCheckResponse.SERVING


def test_reflection_lists_the_service(gateway):
    with channel_to(gateway) as channel:
        reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        (answer,) = list(reflection.ServerReflectionInfo(iter([request])))
        names = {service.name for service in answer.list_services_response.service}
        assert {"calle.v1.Calle", "grpc.health.v1.Health"} <= names


def test_grpc_calls_are_counted_by_method_and_code(gateway, stub):
    stub.Summarize(calle_pb2.SummarizeRequest(chat=EXPORT))

    text = httpx.get(gateway.url + "/metrics").text

    assert 'calle_requests_total{route="/calle.v1.Calle/Summarize",status="OK"}' in text


def test_api_keys_are_checked_from_metadata(fake_grpc_gateway: FakeGrpcGateway):
    stub = calle_pb2_grpc.CalleStub(fake_grpc_gateway(api_keys="key-one,key-two"))
    request = calle_pb2.SummarizeRequest(chat=EXPORT)

    missing = rpc_error(lambda: stub.Summarize(request))
    assert missing.code() == grpc.StatusCode.UNAUTHENTICATED
    assert stub.Summarize(request, metadata=(("x-api-key", "key-one"),)).summary
    bearer = (("authorization", "Bearer key-two"),)
    assert stub.Summarize(request, metadata=bearer).summary


def test_the_concurrency_limit_is_resource_exhausted_with_retry_after(
    fake_grpc_gateway: FakeGrpcGateway,
):
    backend = FakeBackend(image_delay=1.0)  # the one slot stays held while the second comes
    stub = calle_pb2_grpc.CalleStub(fake_grpc_gateway(backend, max_concurrency=1))
    stream = stub.ChatToImage(calle_pb2.ChatToImageRequest(chat=EXPORT))
    assert next(stream).WhichOneof("event") == "summary"  # the slot is held

    error = rpc_error(lambda: stub.GenerateImage(calle_pb2.GenerateImageRequest(prompt="x")))

    assert [event.WhichOneof("event") for event in stream] == ["image"]
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert trailers(error)["retry-after"] == "2"


def test_a_missed_deadline_is_deadline_exceeded(fake_grpc_gateway: FakeGrpcGateway):
    backend = FakeBackend(summary_delay=1.0)
    channel = fake_grpc_gateway(backend, summary_timeout_s=0.05, image_timeout_s=0.05)
    stub = calle_pb2_grpc.CalleStub(channel)

    error = rpc_error(lambda: stub.Summarize(calle_pb2.SummarizeRequest(chat=EXPORT)))

    assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert trailers(error)["calle-error-code"] == "timeout"
