"""The gRPC interceptor reports ChatToImage calls to Locust's request event.

A real in-process gRPC server with a stand-in servicer; no Locust (its gevent patching stays
in the load-test child processes).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
import pytest
from portpicker import pick_unused_port

from gateway.grpc.generated import calle_pb2, calle_pb2_grpc
from gateway.ingest.chat import ChatFormat
from loadtest.chats import ALL_FORMATS, ChatGenerator
from loadtest.checks import PNG_MAGIC, ChatImageTimer, ResponseCheckError
from loadtest.grpc_client import LocustInterceptor, RpcStatusError, chat_to_image_request

METHOD = "/calle.v1.Calle/ChatToImage"


class FakeHook:
    def __init__(self) -> None:
        self.fired: list[dict[str, Any]] = []

    def fire(self, **kwargs: Any) -> None:
        self.fired.append(kwargs)


class StandInServicer(calle_pb2_grpc.CalleServicer):
    """Streams a summary then an image, or fails for chats whose export is ``b"bad"``."""

    def ChatToImage(self, request, context):  # noqa: N802 (the proto's name)
        if request.chat.export == b"bad":
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "This is not a KakaoTalk chat export.")
        yield calle_pb2.ChatToImageEvent(summary=calle_pb2.Summary(summary="요약."))
        png = PNG_MAGIC if request.options.seed else b"not a png"
        yield calle_pb2.ChatToImageEvent(image=calle_pb2.Image(png=png, seed=request.options.seed))


@pytest.fixture(scope="module")
def target() -> Iterator[str]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    calle_pb2_grpc.add_CalleServicer_to_server(StandInServicer(), server)
    address = f"127.0.0.1:{pick_unused_port()}"
    server.add_insecure_port(address)
    server.start()
    yield address
    server.stop(None)


@pytest.fixture
def hook() -> FakeHook:
    return FakeHook()


@pytest.fixture
def stub(target: str, hook: FakeHook) -> Iterator[calle_pb2_grpc.CalleStub]:
    with grpc.insecure_channel(target) as channel:
        yield calle_pb2_grpc.CalleStub(grpc.intercept_channel(channel, LocustInterceptor(hook)))


def request(export: bytes = b"chat", seed: int = 7) -> calle_pb2.ChatToImageRequest:
    return calle_pb2.ChatToImageRequest(
        chat=calle_pb2.Chat(export=export), options=calle_pb2.ImageOptions(seed=seed)
    )


def test_a_call_is_reported_once_when_its_block_ends(stub, hook):
    with stub.ChatToImage(request(), timeout=10) as stream:
        kinds = [event.WhichOneof("event") for event in stream]
        assert hook.fired == []  # not before the block ends: failure() may still come
    assert kinds == ["summary", "image"]
    (event,) = hook.fired
    assert event["request_type"] == "gRPC"
    assert event["name"] == METHOD
    assert event["exception"] is None
    assert event["response_length"] > len(PNG_MAGIC)
    assert event["response_time"] > 0


def test_a_wrong_answer_is_marked_with_failure(stub, hook):
    timer = ChatImageTimer(hook, "gRPC")
    with stub.ChatToImage(request(seed=0), timeout=10) as stream:
        for event in stream:
            if event.WhichOneof("event") == "image":
                timer.image(event.image.png)
        stream.failure(timer.outcome() or "")
    image_entry, call_entry = hook.fired
    assert image_entry["name"] == "time-to-image"
    assert isinstance(call_entry["exception"], ResponseCheckError)
    assert str(call_entry["exception"]) == "image is not a PNG"


def test_a_failed_call_is_reported_with_its_status_and_not_raised(stub, hook):
    with stub.ChatToImage(request(export=b"bad"), timeout=10) as stream:
        list(stream)
    (event,) = hook.fired
    assert isinstance(event["exception"], RpcStatusError)
    assert str(event["exception"]) == "INVALID_ARGUMENT: This is not a KakaoTalk chat export."


def test_without_a_block_the_call_reports_when_the_stream_ends(stub, hook):
    stream = stub.ChatToImage(request(), timeout=10)
    assert len(list(stream)) == 2
    assert [e["name"] for e in hook.fired] == [METHOD]
    with pytest.raises(grpc.RpcError):
        list(stub.ChatToImage(request(export=b"bad"), timeout=10))
    assert isinstance(hook.fired[-1]["exception"], RpcStatusError)


def test_requests_carry_the_generated_chats():
    generator = ChatGenerator(0)
    chats = [generator.chat(0, index) for index in range(len(ALL_FORMATS))]
    for chat in chats:
        built = chat_to_image_request(chat)
        assert built.options.seed == chat.image_seed
        if chat.chat_format is ChatFormat.JSON:
            sent = [(m.speaker, m.text) for m in built.chat.messages.messages]
            assert sent == [(m["speaker"], m["text"]) for m in json.loads(chat.content)]
        else:
            assert built.chat.export.decode("utf-8") == chat.content
