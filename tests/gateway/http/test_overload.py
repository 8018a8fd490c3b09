"""Back-pressure and deadlines over HTTP, on a slow fake backend: 429 at the concurrency
limit, 504 past a deadline."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from gateway.http.app import create_app
from gateway.settings import GatewaySettings
from tests.gateway.fakes import FakeBackend
from tests.gateway.http.conftest import FakeGateway

MESSAGES = {"messages": [{"speaker": "민지", "text": "안녕"}]}


def test_a_request_beyond_the_concurrency_limit_is_429_with_retry_after(
    word_tokenizer, fake_pipeline
):
    backend = FakeBackend(image_delay=0.5)  # keeps the one slot busy while the second comes
    app = create_app(
        backend,
        GatewaySettings(
            summarizer_tokenizer=word_tokenizer, diffusion_pipeline=fake_pipeline, max_concurrency=1
        ),
    )

    async def run() -> tuple[httpx.Response, httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://gateway") as client,
        ):
            first = asyncio.ensure_future(client.post("/v1/chat-images", json=MESSAGES))
            while not backend.prompts:  # the first request holds the slot, drawing
                await asyncio.sleep(0.01)
            refused = await client.post("/v1/images", json={"prompt": "x"})
            served = await first
            after = await client.post("/v1/images", json={"prompt": "x"})
        return served, refused, after

    served, refused, after = asyncio.run(run())

    assert served.status_code == 200
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "2"
    assert refused.json()["error"]["code"] == "gateway_busy"
    assert after.status_code == 200  # the slot is free again


@pytest.mark.parametrize(
    ("path", "body"),
    [("/v1/summaries", MESSAGES), ("/v1/images", {"prompt": "바다"})],
)
def test_a_stage_past_its_deadline_is_504(fake_gateway: FakeGateway, path, body):
    backend = FakeBackend(summary_delay=1.0, image_delay=1.0)
    client = fake_gateway(backend, summary_timeout_s=0.05, image_timeout_s=0.05)

    response = client.post(path, json=body)

    assert response.status_code == 504, response.text
    assert response.json()["error"]["code"] == "timeout"
