"""``calle demo``: the bundled sample chat through the running gateway, as a user would send it.

Starts the gateway next to an already running Triton, waits until it is ready, posts the sample
export to ``/v1/chat-images/upload`` with ``Accept: text/event-stream``, reports the summary the
moment its event arrives and saves the picture when the ``image`` event follows.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import httpx
from httpx_sse import EventSource

from gateway.server import serve_gateway
from gateway.settings import GatewaySettings

logger = logging.getLogger(__name__)

SAMPLE_CHAT = "sample_chat.txt"
READY_TIMEOUT_S = 120.0


class DemoError(RuntimeError):
    """The sample request did not produce a summary and an image."""


def sample_chat() -> bytes:
    """The bundled KakaoTalk sample export (PC Windows, Korean)."""
    return resources.files("gateway.ingest").joinpath(SAMPLE_CHAT).read_bytes()


async def wait_until_ready(base_url: str, gateway: asyncio.Future[None], timeout_s: float) -> None:
    """Poll ``/readyz`` until the gateway and the models behind it are ready."""
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(base_url=base_url, timeout=5) as client:
        while time.monotonic() < deadline:
            if gateway.done():
                gateway.result()  # re-raises why it stopped
                raise DemoError("the gateway stopped during start-up")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.5)
    raise DemoError(f"the gateway was not ready after {timeout_s:.0f} s")


async def send_sample(base_url: str, image_path: Path, show: Callable[[str], None]) -> None:
    """Stream the sample through ``/v1/chat-images/upload``; show the summary, save the image."""
    files = {"file": (SAMPLE_CHAT, sample_chat(), "text/plain")}
    headers = {"Accept": "text/event-stream"}
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=None) as client,
        client.stream("POST", "/v1/chat-images/upload", files=files, headers=headers) as response,
    ):
        if response.status_code != 200:
            body = json.loads(await response.aread())
            raise DemoError(f"{response.status_code}: {body['error']['message_en']}")
        async for event in EventSource(response).aiter_sse():
            payload = event.json()
            if event.event == "summary":
                show(
                    f"요약 / summary ({payload['message_count']} messages, "
                    f"{payload['speaker_count']} speakers): {payload['summary']}"
                )
            elif event.event == "image":
                image_path.parent.mkdir(parents=True, exist_ok=True)
                image_path.write_bytes(base64.b64decode(payload["image_base64"]))
                show(f"그림 / image (seed {payload['seed']}): {image_path}")
            elif event.event == "error":
                raise DemoError(payload["error"]["message_en"])


async def run(
    settings: GatewaySettings, image_path: Path, *, once: bool, show: Callable[[str], None]
) -> None:
    """Serve the gateway, send the sample, then keep serving (or stop, with ``once``).

    Args:
        settings: The gateway's settings, pointing at the running Triton.
        image_path: Where the picture is saved.
        once: Stop after the sample request instead of serving until interrupted.
        show: Writes a line for the person running the demo.
    """
    gateway = asyncio.ensure_future(serve_gateway(settings))
    host = "127.0.0.1" if settings.http_host in ("0.0.0.0", "") else settings.http_host
    base_url = f"http://{host}:{settings.http_port}"
    try:
        await wait_until_ready(base_url, gateway, READY_TIMEOUT_S)
        await send_sample(base_url, image_path, show)
        if once:
            return
        show(f"웹 페이지 / web page: {base_url}/  (API: {base_url}/docs, Ctrl-C to stop)")
        await gateway
    finally:
        gateway.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await gateway
