"""The gateway target against a stand-in for ``POST /v1/summaries`` (httpx mock transport)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from evaluation.configs import SummarizerConfig
from evaluation.dataset import DialogueText, load_dataset
from evaluation.targets import GatewayTarget, TargetError
from tests.evaluation.helpers import EXPORT, MESSAGES, write_lines

CONFIG = SummarizerConfig(name="gw", gateway_url="http://gateway.test:8080/")


def serve(handler) -> httpx.MockTransport:
    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/healthz":
            return httpx.Response(200, json={"status": "ok"})
        return handler(request)

    return httpx.MockTransport(route)


def test_bodies_for_each_form(tmp_path: Path) -> None:
    (tmp_path / "trip.txt").write_bytes(EXPORT.read_bytes())
    examples = load_dataset(
        write_lines(
            tmp_path / "d.jsonl",
            [
                {"dialogue": "P01: 내일 보자\nP02: 좋아", "summary": "만나기로 했다."},
                {"dialogue": MESSAGES, "summary": "만나기로 했다."},
                {"dialogue": {"file": "trip.txt"}, "summary": "부산에 간다."},
            ],
        )
    )
    target = GatewayTarget(CONFIG, timeout_s=5)
    text, messages, export = target.prepare([example.dialogue for example in examples])
    assert text == {
        "messages": [{"speaker": "P01", "text": "내일 보자"}, {"speaker": "P02", "text": "좋아"}]
    }
    assert messages == {"messages": MESSAGES}
    assert export == {"chat": EXPORT.read_text(encoding="utf-8")}


def test_summarize_posts_json_with_the_api_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"summary": "친구들은 만나기로 했다.", "message_count": 2})

    async def go() -> str:
        target = GatewayTarget(CONFIG, timeout_s=5, api_key="k1", transport=serve(handler))
        async with target:
            (body,) = target.prepare([DialogueText("P01: 안녕\nP02: 응")])
            return await target.summarize(body)

    assert asyncio.run(go()) == "친구들은 만나기로 했다."
    (request,) = seen
    assert (request.method, request.url.path) == ("POST", "/v1/summaries")
    assert request.headers["x-api-key"] == "k1"
    assert json.loads(request.content)["messages"][0] == {"speaker": "P01", "text": "안녕"}


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (
            httpx.Response(
                429,
                json={"error": {"code": "gateway_busy", "status": 429, "message_en": "Busy."}},
            ),
            "HTTP 429 gateway_busy: Busy.",
        ),
        (httpx.Response(502, text="bad gateway"), "HTTP 502"),
        (httpx.Response(200, json={"no": "summary"}), "no 'summary'"),
    ],
)
def test_errors_become_target_errors(response: httpx.Response, message: str) -> None:
    async def go() -> None:
        async with GatewayTarget(CONFIG, timeout_s=5, transport=serve(lambda _: response)) as t:
            await t.summarize({"messages": []})

    with pytest.raises(TargetError, match=message):
        asyncio.run(go())


def test_unreachable_gateway_fails_on_open() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async def go() -> None:
        async with GatewayTarget(CONFIG, timeout_s=5, transport=httpx.MockTransport(refuse)):
            pass

    with pytest.raises(TargetError, match="unreachable"):
        asyncio.run(go())
