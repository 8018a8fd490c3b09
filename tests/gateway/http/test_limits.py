"""API keys, the request size limit and CORS, on a fake-backed app that turns them on."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.gateway.helpers import SAMPLE_CHAT, error_of
from tests.gateway.http.conftest import FakeGateway

LIMIT = 64 * 1024
MESSAGES = {"messages": [{"speaker": "민지", "text": "내일 보자"}]}


@pytest.fixture
def client(fake_gateway: FakeGateway) -> TestClient:
    """API keys on, a 64 KiB request limit and one allowed CORS origin."""
    return fake_gateway(
        api_keys="key-one,key-two", max_request_bytes=LIMIT, cors_origins="http://allowed.example"
    )


@pytest.mark.parametrize("path", ["/v1/summaries", "/v1/images", "/v1/chat-images"])
def test_v1_calls_without_a_key_are_401(client, path):
    response = client.post(path, json=MESSAGES)

    assert error_of(response, 401)["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_key_is_401(client):
    response = client.post("/v1/summaries", json=MESSAGES, headers={"X-API-Key": "guess"})

    assert error_of(response, 401)["code"] == "unauthorized"


@pytest.mark.parametrize("headers", [{"Authorization": "Bearer key-one"}, {"X-API-Key": "key-two"}])
def test_a_configured_key_in_either_header_passes(client, headers):
    assert client.post("/v1/summaries", json=MESSAGES, headers=headers).status_code == 200


def test_probes_metrics_and_the_page_need_no_key(client):
    for path in ("/healthz", "/readyz", "/metrics", "/"):
        assert client.get(path).status_code == 200, path


def test_a_declared_body_over_the_limit_is_413(client):
    response = client.post(
        "/v1/summaries", json={"chat": "가" * LIMIT}, headers={"X-API-Key": "key-one"}
    )

    error = error_of(response, 413)
    assert error["code"] == "payload_too_large"
    assert "0.1" in error["message_en"]  # the limit, in MB


def test_a_chunked_body_over_the_limit_is_413(client):
    def chunks():
        for _ in range(LIMIT // 4096 + 2):
            yield b"x" * 4096

    response = client.post(
        "/v1/summaries",
        content=chunks(),  # a generator is sent chunked, without Content-Length
        headers={"X-API-Key": "key-one", "Content-Type": "application/json"},
    )

    assert "content-length" not in response.request.headers
    assert error_of(response, 413)["code"] == "payload_too_large"


def test_an_upload_over_the_limit_is_413(client):
    big = SAMPLE_CHAT.read_bytes() * (LIMIT // SAMPLE_CHAT.stat().st_size + 1)

    response = client.post(
        "/v1/summaries/upload",
        files={"file": ("big.txt", big)},
        headers={"X-API-Key": "key-one"},
    )

    assert error_of(response, 413)["code"] == "payload_too_large"


def test_cors_allows_the_configured_origin_only(client):
    preflight = {"Access-Control-Request-Method": "POST"}
    allowed = client.options(
        "/v1/summaries", headers={"Origin": "http://allowed.example", **preflight}
    )
    other = client.options("/v1/summaries", headers={"Origin": "http://other.example", **preflight})

    assert allowed.headers["access-control-allow-origin"] == "http://allowed.example"
    assert "access-control-allow-origin" not in other.headers


def test_a_refused_cors_preflight_is_in_the_error_schema(client):
    response = client.options(
        "/v1/summaries",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )

    assert response.status_code == 400  # answered by CORS, outside the request-id middleware
    error = response.json()["error"]
    assert error["code"] == "cors_refused"
    assert error["request_id"] == response.headers["x-request-id"] != "-"


def test_a_cors_preflight_answers_with_a_request_id(client):
    preflight = {"Origin": "http://allowed.example", "Access-Control-Request-Method": "POST"}
    chosen = client.options("/v1/summaries", headers={**preflight, "X-Request-ID": "room-42.a"})
    made = client.options("/v1/summaries", headers={**preflight, "X-Request-ID": "no spaces"})

    assert chosen.status_code == 200
    assert chosen.headers["x-request-id"] == "room-42.a"
    assert made.headers["x-request-id"] not in ("no spaces", "-")


def test_cors_is_closed_by_default(fake_gateway: FakeGateway):
    response = fake_gateway().options(
        "/v1/summaries",
        headers={"Origin": "http://elsewhere.example", "Access-Control-Request-Method": "POST"},
    )

    assert "access-control-allow-origin" not in response.headers
