"""``create_app(backend, settings)`` standalone: its lifespan owns the service and backend."""

from __future__ import annotations

from fastapi.testclient import TestClient

from gateway.dialogue import SourceTokenizer
from gateway.http.app import create_app
from gateway.settings import GatewaySettings
from tests.gateway.fakes import FakeBackend, write_word_tokenizer
from tests.gateway.http.conftest import FakeGateway

MESSAGES = [
    {"speaker": "민지", "text": "내일 부산 갈 사람?", "time": "2024-05-02T20:00:00"},
    {"speaker": "지훈", "text": "나! 기차표 볼게", "time": "2024-05-02T20:01:00"},
]


def test_the_lifespan_starts_the_backend_and_closes_it_after_the_last_request(
    word_tokenizer, fake_pipeline
):
    backend = FakeBackend()
    app = create_app(
        backend,
        GatewaySettings(summarizer_tokenizer=word_tokenizer, diffusion_pipeline=fake_pipeline),
    )

    with TestClient(app) as client:
        assert backend.events == ["start"]
        response = client.post("/v1/summaries", json={"messages": MESSAGES})

    assert response.status_code == 200, response.text
    assert response.json()["summary"] == "2 lines"
    assert backend.events == ["start", "job", "summarize", "job done", "close"]
    assert app.state.service.backend is backend


def test_ready_when_the_backend_is_and_its_summarizer_has_our_tokenizer(
    fake_gateway: FakeGateway, word_tokenizer
):
    digest = SourceTokenizer(word_tokenizer).digest

    ready = fake_gateway(FakeBackend(tokenizer_digest=digest)).get("/readyz")
    other = fake_gateway(FakeBackend(tokenizer_digest="0" * 64)).get("/readyz")

    assert ready.status_code == 200
    assert ready.json()["models"] == {"summarizer": True, "diffusion": True}
    assert other.status_code == 503
    assert other.json()["error"]["code"] == "tokenizer_mismatch"


def test_readiness_follows_a_new_export_of_the_tokenizer_without_a_restart(
    fake_gateway: FakeGateway, tmp_path
):
    path = write_word_tokenizer(tmp_path / "tokenizer.json", budget=10_000)
    new_export = SourceTokenizer(write_word_tokenizer(tmp_path / "new.json", budget=300))
    client = fake_gateway(
        FakeBackend(tokenizer_digest=new_export.digest), summarizer_tokenizer=path
    )
    service = client.app.state.service

    before = client.get("/readyz")  # Triton already serves the new export; the file is old
    path.write_bytes(b"{ half-written")
    midway = client.get("/readyz")
    path.write_bytes(new_export.path.read_bytes())
    after = client.get("/readyz")

    assert before.json()["error"]["code"] == midway.json()["error"]["code"] == "tokenizer_mismatch"
    assert (before.status_code, midway.status_code, after.status_code) == (503, 503, 200)
    assert (service.tokenizer.digest, service.tokenizer.budget) == (new_export.digest, 300)


def test_a_backend_that_is_not_ready_makes_requests_503_without_running_them(
    fake_gateway: FakeGateway,
):
    backend = FakeBackend()
    backend.ready = False
    client = fake_gateway(backend)

    response = client.post("/v1/images", json={"prompt": "바다"})

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "triton_unavailable"
    assert client.get("/readyz").status_code == 503
    assert backend.prompts == []
