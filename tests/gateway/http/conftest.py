"""HTTP contract fixtures: the real app on a fake backend, in this process, no server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.dialogue import SourceTokenizer
from gateway.http.app import create_app
from gateway.settings import GatewaySettings
from tests.gateway.fakes import FakeBackend, write_word_tokenizer

FakeGateway = Callable[..., TestClient]


@pytest.fixture(scope="session")
def word_tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An exported-style tokenizer.json the fake gateways trim chats with."""
    return write_word_tokenizer(tmp_path_factory.mktemp("tokenizer") / "tokenizer.json")


@pytest.fixture
def fake_gateway(word_tokenizer: Path, fake_pipeline: Path) -> Iterator[FakeGateway]:
    """Start ``create_app(backend, settings)`` apps (lifespan run) closed after the test.

    Call it with an optional ``backend`` (otherwise a fresh :class:`FakeBackend` whose
    summarizer was exported with the gateway's tokenizer, so ``/readyz`` is 200) and
    :class:`GatewaySettings` fields.
    """
    digest = SourceTokenizer(word_tokenizer).digest
    with ExitStack() as stack:

        def start(backend: FakeBackend | None = None, **settings: object) -> TestClient:
            settings.setdefault("summarizer_tokenizer", word_tokenizer)
            settings.setdefault("diffusion_pipeline", fake_pipeline)
            backend = backend or FakeBackend(tokenizer_digest=digest)
            app = create_app(backend, GatewaySettings(**settings))
            return stack.enter_context(TestClient(app, raise_server_exceptions=False))

        yield start
