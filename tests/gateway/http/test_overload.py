"""Back-pressure and deadlines over HTTP: 429 at the concurrency limit, 504 past a deadline."""

from __future__ import annotations

import httpx
import pytest

from tests.gateway.helpers import SAMPLE_CHAT, GatewayProcess, sse_events

pytestmark = pytest.mark.triton


def test_a_request_beyond_the_concurrency_limit_is_429_with_retry_after(single_slot_gateway):
    gateway: GatewayProcess = single_slot_gateway
    files = {"file": ("chat.txt", SAMPLE_CHAT.read_bytes(), "text/plain")}
    with httpx.stream(
        "POST",
        gateway.url + "/v1/chat-images",
        files=files,
        data={"steps": "60"},  # keeps the one slot busy while the second request comes
        headers={"Accept": "text/event-stream"},
        timeout=60,
    ) as response:
        events = sse_events(response)
        assert next(events)[0] == "summary"  # the slot is held until the image is sent

        refused = httpx.post(gateway.url + "/v1/images", json={"prompt": "x"}, timeout=10)

        assert [name for name, _, _ in events] == ["image", "done"]

    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "2"
    assert refused.json()["error"]["code"] == "gateway_busy"
    # The slot is free again.
    after = httpx.post(gateway.url + "/v1/images", json={"prompt": "x", "steps": 1}, timeout=30)
    assert after.status_code == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/summaries", {"messages": [{"speaker": "민지", "text": "안녕"}]}),
        ("/v1/images", {"prompt": "바다"}),
    ],
)
def test_a_stage_past_its_deadline_is_504(hasty_gateway, path, body):
    response = httpx.post(hasty_gateway.url + path, json=body, timeout=30)

    assert response.status_code == 504, response.text
    assert response.json()["error"]["code"] == "timeout"
