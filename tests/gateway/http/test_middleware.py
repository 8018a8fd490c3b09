"""The HTTP middleware on a minimal app: size limit, request ids, the 500 safety net."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from fastapi import FastAPI, Request

from gateway.http.errors import install_error_handlers
from gateway.http.middleware import (
    BodySizeLimitMiddleware,
    RequestIdMiddleware,
    RequestMetricsMiddleware,
)
from gateway.metrics import GatewayMetrics
from gateway.request_id import current_request_id

LIMIT = 1024


@pytest.fixture
def metrics() -> GatewayMetrics:
    return GatewayMetrics()


@pytest.fixture
def app(metrics: GatewayMetrics) -> FastAPI:
    app = FastAPI()

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, object]:
        body = await request.body()
        logging.getLogger("test.echo").info("echoed %d bytes", len(body))
        return {"size": len(body), "request_id": current_request_id.get()}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("bug")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    install_error_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=LIMIT)
    app.add_middleware(RequestMetricsMiddleware, metrics=metrics)
    app.add_middleware(RequestIdMiddleware)
    return app


def call(app: FastAPI, method: str, path: str, **kwargs: object) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(go())


def test_a_body_within_the_limit_passes(app):
    assert call(app, "POST", "/echo", content=b"x" * LIMIT).json()["size"] == LIMIT


def test_a_declared_length_over_the_limit_is_413_before_reading(app):
    response = call(app, "POST", "/echo", content=b"x" * (LIMIT + 1))

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_a_streamed_body_over_the_limit_is_413(app):
    async def chunks():
        for _ in range(4):
            yield b"x" * 400

    response = call(app, "POST", "/echo", content=chunks())  # no Content-Length: chunked

    assert response.status_code == 413
    assert response.json()["error"]["request_id"] == response.headers["X-Request-ID"]


def test_the_client_request_id_is_used_in_the_response_and_the_logs(app, caplog):
    with caplog.at_level(logging.INFO):
        response = call(app, "POST", "/echo", content=b"hi", headers={"X-Request-ID": "abc-42"})

    assert response.headers["X-Request-ID"] == "abc-42"
    assert response.json()["request_id"] == "abc-42"
    (record,) = [r for r in caplog.records if r.name == "test.echo"]
    assert record.getMessage() == "echoed 2 bytes"


def test_an_unusable_request_id_is_replaced(app):
    response = call(app, "POST", "/echo", content=b"", headers={"X-Request-ID": "bad id"})

    assert response.headers["X-Request-ID"] != "bad id"
    assert response.json()["request_id"] == response.headers["X-Request-ID"]


def test_an_unexpected_exception_is_a_500_in_the_error_schema(app):
    response = call(app, "GET", "/boom")

    assert response.status_code == 500
    error = response.json()["error"]
    assert (error["code"], error["request_id"]) == ("internal", response.headers["X-Request-ID"])
    assert "bug" not in response.text


def test_unknown_routes_answer_in_the_error_schema(app):
    response = call(app, "GET", "/nowhere")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_request_metrics_skip_health_and_use_route_templates(app, metrics):
    call(app, "POST", "/echo", content=b"x")
    call(app, "GET", "/healthz")
    call(app, "GET", "/nowhere")

    def count(route: str, status: str) -> float | None:
        labels = {"route": route, "status": status}
        return metrics.registry.get_sample_value("calle_requests_total", labels)

    assert count("/echo", "200") == 1
    assert count("/healthz", "200") is None
    assert count("other", "404") == 1
