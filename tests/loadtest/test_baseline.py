"""The single-process baseline answers the gateway's contract, one request after another."""

from __future__ import annotations

import base64
import threading
import time

import httpx
import pytest
from httpx_sse import EventSource

from loadtest.benchmark.servers import Endpoint
from loadtest.chats import ChatGenerator
from loadtest.checks import PNG_MAGIC

CHATS = ChatGenerator(1)


def stream(url: str, body: dict) -> list[tuple[str, dict, float]]:
    """``(event, data, arrival)`` of one streamed chat-image request."""
    events = []
    with (
        httpx.Client(base_url=url, timeout=120) as client,
        client.stream(
            "POST", "/v1/chat-images", json=body, headers={"Accept": "text/event-stream"}
        ) as response,
    ):
        assert response.status_code == 200
        for event in EventSource(response).iter_sse():
            events.append((event.event, event.json(), time.monotonic()))
    return events


def test_a_streamed_chat_image_brings_summary_then_image_then_done(baseline: Endpoint):
    chat = CHATS.chat(0, 0)
    events = stream(baseline.url, chat.chat_image_body())
    assert [name for name, _, _ in events] == ["summary", "image", "done"]
    summary, image = events[0][1], events[1][1]
    assert summary["summary"].strip()
    assert summary["chat_format"] == chat.chat_format.value
    assert summary["message_count"] >= 1
    assert base64.b64decode(image["image_base64"]).startswith(PNG_MAGIC)
    assert image["seed"] == chat.image_seed


def test_json_answers_and_the_other_endpoints(baseline: Endpoint):
    with httpx.Client(base_url=baseline.url, timeout=120) as client:
        assert client.get("/readyz").status_code == 200
        assert client.get("/healthz").json() == {"status": "ok"}
        both = client.post("/v1/chat-images", json=CHATS.chat(0, 1).chat_image_body()).json()
        assert both["summary"]["summary"].strip()
        assert base64.b64decode(both["image"]["image_base64"]).startswith(PNG_MAGIC)
        summary = client.post("/v1/summaries", json=CHATS.chat(0, 2).request_body())
        assert summary.json()["summary"].strip()
        png = client.post("/v1/images", json={"prompt": "바다", "seed": 3})
        assert png.headers["content-type"] == "image/png"
        assert png.content.startswith(PNG_MAGIC)
        assert png.headers["x-seed"] == "3"
        as_json = client.post("/v1/images?format=json", json={"prompt": "바다", "seed": 3})
        assert as_json.json()["seed"] == 3


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"chat": "this is no export"}, 400, "invalid_chat"),
        ({"chat": "x", "messages": []}, 422, "validation_failed"),
    ],
)
def test_errors_use_the_gateways_schema(baseline: Endpoint, body, status, code):
    response = httpx.post(baseline.url + "/v1/chat-images", json=body, timeout=60)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_a_second_request_waits_for_the_first_ones_summary_and_image(baseline: Endpoint):
    results: dict[int, list[tuple[str, dict, float]]] = {}

    def send(index: int) -> None:
        results[index] = stream(baseline.url, CHATS.chat(1, index).chat_image_body())

    threads = [threading.Thread(target=send, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(results) == [0, 1]

    arrivals = {index: {name: at for name, _, at in events} for index, events in results.items()}
    first, second = sorted(arrivals.values(), key=lambda times: times["summary"])
    # Whichever request was served first delivered its picture before the other one's summary.
    assert first["image"] < second["summary"]
