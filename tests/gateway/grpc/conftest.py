"""gRPC contract fixtures: the real gRPC server and service on a fake backend, no Triton."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import grpc
import pytest
from portpicker import pick_unused_port

from gateway.auth import ApiKeys
from gateway.grpc.server import GrpcServer
from gateway.metrics import GatewayMetrics
from gateway.service import CalleService
from gateway.settings import GatewaySettings
from tests.gateway.fakes import FakeBackend, write_word_tokenizer

FakeGrpcGateway = Callable[..., grpc.Channel]


@contextmanager
def serving(backend: FakeBackend, settings: GatewaySettings) -> Iterator[str]:
    """Serve ``backend`` over gRPC from an event loop in a thread; yield ``host:port``."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fake-grpc", daemon=True)
    thread.start()
    metrics = GatewayMetrics()
    service = CalleService.from_settings(backend, settings, metrics=metrics)
    port = pick_unused_port()

    async def start() -> GrpcServer:
        server = GrpcServer(
            service,
            api_keys=ApiKeys(settings.api_key_set),
            metrics=metrics,
            host="127.0.0.1",
            port=port,
            max_request_bytes=settings.max_request_bytes,
        )
        await service.start()
        await server.start()
        return server

    async def stop(server: GrpcServer) -> None:
        await server.stop(1)
        await service.close()

    server = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(stop(server), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture(scope="session")
def grpc_word_tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tokenizer.json the fake gRPC gateways trim chats with."""
    return write_word_tokenizer(tmp_path_factory.mktemp("tokenizer") / "tokenizer.json")


@pytest.fixture
def fake_grpc_gateway(grpc_word_tokenizer: Path, fake_pipeline: Path) -> Iterator[FakeGrpcGateway]:
    """Start gRPC servers on a backend (a fresh :class:`FakeBackend` by default) and
    :class:`GatewaySettings` fields; each call returns a ready channel, closed after the test."""
    with ExitStack() as stack:

        def start(backend: FakeBackend | None = None, **settings: object) -> grpc.Channel:
            settings.setdefault("summarizer_tokenizer", grpc_word_tokenizer)
            settings.setdefault("diffusion_pipeline", fake_pipeline)
            target = stack.enter_context(
                serving(backend or FakeBackend(), GatewaySettings(**settings))
            )
            channel = stack.enter_context(grpc.insecure_channel(target))
            grpc.channel_ready_future(channel).result(timeout=10)
            return channel

        yield start
