"""The HTTP API against a real gateway process and a real Triton serving the tiny models."""

from __future__ import annotations

import base64

import httpx
import pytest

from gateway.image_sizes import ImageSizes
from tests.gateway.fakes import write_pipeline_sizes
from tests.gateway.helpers import SAMPLE_CHAT, GatewayProcess, error_of, sse_events, upload

pytestmark = pytest.mark.triton

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MESSAGES = [
    {"speaker": "민지", "text": "내일 부산 갈 사람?", "time": "2024-05-02T20:00:00"},
    {"speaker": "지훈", "text": "나! 기차표 볼게", "time": "2024-05-02T20:01:00"},
    {"speaker": "서연", "text": "광안리 숙소 찾아볼게", "time": "2024-05-02T20:03:00"},
]


@pytest.fixture
def client(gateway: GatewayProcess) -> httpx.Client:
    with httpx.Client(base_url=gateway.url, timeout=60) as client:
        yield client


# --- summaries ---------------------------------------------------------------------------------


def test_summary_of_an_uploaded_export_says_what_was_summarized(client):
    response = client.post("/v1/summaries/upload", files=upload())

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["summary"]
    assert body["chat_format"] == "pc_windows_ko"
    # The latest burst of the sample is the second day; the budget may trim its oldest end.
    assert 1 <= body["message_count"] <= 31
    assert 1 <= body["speaker_count"] <= 5
    assert body["start"].startswith("2024-05-03T12:")
    assert body["end"] == "2024-05-03T12:46:00"


def test_summary_of_pasted_export_text(client):
    text = SAMPLE_CHAT.read_text(encoding="utf-8-sig")

    response = client.post("/v1/summaries", json={"chat": text})

    assert response.status_code == 200, response.text
    assert response.json()["chat_format"] == "pc_windows_ko"


def test_summary_of_json_messages(client):
    response = client.post("/v1/summaries", json={"messages": MESSAGES})

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["message_count"], body["speaker_count"], body["chat_format"]) == (3, 3, "json")
    assert (body["start"], body["end"]) == ("2024-05-02T20:00:00", "2024-05-02T20:03:00")


# --- images ------------------------------------------------------------------------------------


def test_image_is_a_png_with_its_seed(client):
    response = client.post("/v1/images", json={"prompt": "부산 바다", "seed": 42, "steps": 3})

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(PNG_MAGIC)
    assert response.headers["X-Seed"] == "42"


def test_the_same_seed_draws_the_same_picture(client):
    request = {"prompt": "광안대교 야경", "seed": 7, "steps": 2, "guidance_scale": 5.0}

    first = client.post("/v1/images", json=request)
    second = client.post("/v1/images", json=request)

    assert first.content == second.content


@pytest.mark.parametrize(
    ("params", "headers"), [({"format": "json"}, {}), ({}, {"Accept": "application/json"})]
)
def test_image_as_json_when_asked(client, params, headers):
    response = client.post(
        "/v1/images",
        params=params,
        headers=headers,
        json={"prompt": "바다", "negative_prompt": "흐림", "height": 64, "width": 48, "steps": 2},
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["media_type"] == "image/png"
    assert base64.b64decode(body["image_base64"]).startswith(PNG_MAGIC)
    assert isinstance(body["seed"], int)


# --- chat images -------------------------------------------------------------------------------


def test_chat_image_as_one_json_response(client):
    response = client.post("/v1/chat-images", json={"messages": MESSAGES, "image": {"seed": 5}})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["summary"]["message_count"] == 3
    assert base64.b64decode(body["image"]["image_base64"]).startswith(PNG_MAGIC)
    assert body["image"]["seed"] == 5


def test_chat_image_stream_sends_the_summary_first_and_earlier(gateway):
    headers = {"Accept": "text/event-stream"}
    with httpx.stream(
        "POST",
        gateway.url + "/v1/chat-images/upload",
        files=upload(),
        data={"steps": "25", "seed": "11"},  # enough steps for a measurable image stage
        headers=headers,
        timeout=60,
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = list(sse_events(response))

    assert [name for name, _, _ in events] == ["summary", "image", "done"]
    (_, summary, summary_at), (_, image, image_at), (_, done, _) = events
    assert summary["summary"]
    assert summary["chat_format"] == "pc_windows_ko"
    assert base64.b64decode(image["image_base64"]).startswith(PNG_MAGIC)
    assert image["seed"] == 11
    assert summary_at < image_at
    assert done["request_id"] == response.headers["X-Request-ID"]


# --- errors ------------------------------------------------------------------------------------


def test_a_size_the_export_does_not_take_is_422_before_any_work(client):
    error = error_of(client.post("/v1/images", json={"prompt": "x", "height": 17}), 422)

    assert error["code"] == "validation_failed"
    (detail,) = error["details"]
    assert detail["loc"] == ["body", "height"]
    assert "multiple of 16" in detail["msg"]


def test_a_gateway_on_another_export_s_sizes_gets_triton_s_reason(
    gateway_factory, triton_server, tmp_path
):
    # A gateway told of looser sizes than the export Triton serves: Triton's diffusion model
    # still refuses, and the gateway passes its reason on.
    loose = write_pipeline_sizes(tmp_path / "pipeline.json", ImageSizes(1, 2048, 64, 64))
    gateway = gateway_factory("loose-sizes", triton_server.grpc_port, diffusion_pipeline=loose)

    response = httpx.post(gateway.url + "/v1/images", json={"prompt": "x", "height": 17})

    error = error_of(response, 400)
    assert error["code"] == "invalid_model_input"
    assert "height" in error["message_en"]


# --- request ids, health, metrics, docs, page --------------------------------------------------


def test_request_id_is_taken_from_the_client_and_logged_without_chat_text(client, gateway):
    response = client.post(
        "/v1/summaries/upload", files=upload(), headers={"X-Request-ID": "trace-summary-1"}
    )

    assert response.headers["X-Request-ID"] == "trace-summary-1"
    lines = gateway.log_lines("[trace-summary-1]")
    assert any("POST /v1/summaries/upload -> 200" in line for line in lines)
    assert any("summary of" in line for line in lines)
    log = gateway.log()
    for secret in ("부산", "광안리", "민지", response.json()["summary"]):
        assert secret not in log


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["models"] == {"summarizer": True, "diffusion": True}


def test_metrics_count_requests_stages_and_latencies(client):
    client.post("/v1/chat-images", json={"messages": MESSAGES})
    client.post("/v1/images", json={"prompt": "x", "height": 17})  # a size it does not take
    client.get("/healthz")

    text = client.get("/metrics").text

    assert 'calle_requests_total{route="/v1/chat-images",status="200"}' in text
    assert 'calle_requests_total{route="/v1/images",status="422"}' in text
    assert 'route="/healthz"' not in text
    assert 'route="/metrics"' not in text
    for stage, model in [
        ("parse", "gateway"),
        ("summarize", "summarizer"),
        ("generate", "diffusion"),
    ]:
        assert f'calle_stage_seconds_count{{model="{model}",stage="{stage}"}}' in text
    assert "calle_time_to_summary_seconds_count" in text
    assert "calle_time_to_image_seconds_count" in text
    assert "calle_requests_in_flight 0.0" in text
    # A size the model refuses is the client's error, not Triton's.
    assert 'calle_triton_errors_total{kind="invalid_model_input"}' not in text
