"""``calle gateway`` as Kubernetes runs it: env settings, graceful stop on SIGTERM."""

from __future__ import annotations

import signal

import httpx
import pytest
from portpicker import pick_unused_port

from calle.triton import TritonServer
from tests.gateway.conftest import GatewayFactory
from tests.gateway.helpers import SAMPLE_CHAT, sse_events


def test_sigterm_stops_http_and_grpc_and_exits_zero(gateway_factory: GatewayFactory):
    # No Triton behind it: liveness does not depend on Triton, readiness does.
    gateway = gateway_factory("lonely", pick_unused_port(), ready_path="/healthz")
    assert httpx.get(gateway.url + "/readyz").status_code == 503

    assert gateway.stop() == 0
    assert "gateway stopped" in gateway.log()
    with pytest.raises(httpx.TransportError):
        httpx.get(gateway.url + "/healthz")


@pytest.mark.triton
def test_sigterm_lets_a_request_in_flight_finish(
    gateway_factory: GatewayFactory, triton_server: TritonServer
):
    gateway = gateway_factory("draining", triton_server.grpc_port)
    files = {"file": ("chat.txt", SAMPLE_CHAT.read_bytes(), "text/plain")}
    with httpx.stream(
        "POST",
        gateway.url + "/v1/chat-images/upload",
        files=files,
        data={"steps": "60"},
        headers={"Accept": "text/event-stream"},
        timeout=60,
    ) as response:
        events = sse_events(response)
        assert next(events)[0] == "summary"

        gateway.process.send_signal(signal.SIGTERM)

        assert [name for name, _, _ in events] == ["image", "done"]
    assert gateway.process.wait(30) == 0
