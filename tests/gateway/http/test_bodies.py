"""Request bodies on the fake backend: JSON and upload routes, and every way a body is refused.

JSON bodies are pydantic parameters, uploads a form model with the ``file``; the route classes
check the key, the media type and the JSON's syntax first (:mod:`gateway.http.routing`).
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from gateway.image_sizes import ImageSizes, ImageSizesError
from tests.gateway.fakes import FakeBackend, write_pipeline_sizes
from tests.gateway.helpers import error_of, upload
from tests.gateway.http.conftest import FakeGateway

MESSAGES = {"messages": [{"speaker": "민지", "text": "내일 보자", "time": "2024-05-02T20:00"}]}
JSON_HEADERS = {"content-type": "application/json"}


@pytest.fixture
def client(fake_gateway: FakeGateway) -> TestClient:
    return fake_gateway()


# --- the upload routes -------------------------------------------------------------------------


def test_an_uploaded_export_is_summarized_from_its_bytes(fake_gateway: FakeGateway):
    backend = FakeBackend()

    response = fake_gateway(backend).post("/v1/summaries/upload", files=upload())

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["chat_format"] == "pc_windows_ko"
    assert body["summary"] == f"{body['message_count']} lines"
    assert len(backend.dialogues) == 1


def test_an_upload_carries_the_picture_settings_as_form_fields(fake_gateway: FakeGateway):
    backend = FakeBackend()

    response = fake_gateway(backend).post(
        "/v1/chat-images/upload", files=upload(), data={"seed": "11", "steps": "3"}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["image"]["seed"] == 11
    assert backend.prompts == [body["summary"]["summary"]]


@pytest.mark.parametrize(
    ("data", "location"),
    [
        ({"steps": "0"}, ["body", "steps"]),
        ({"colour": "red"}, ["body", "colour"]),
        ({"width": "40"}, ["body", "width"]),
    ],
)
def test_upload_form_fields_out_of_range_are_422(client, data, location):
    response = client.post("/v1/chat-images/upload", files=upload(), data=data)

    error = error_of(response, 422)
    assert any(detail["loc"] == location for detail in error["details"])


def test_a_multipart_request_without_the_file_is_422(client):
    error = error_of(client.post("/v1/summaries/upload", files={"other": ("a.txt", b"x")}), 422)

    assert error["details"][0]["loc"] == ["body", "file"]


def test_not_a_kakaotalk_export_is_400(client):
    files = upload("그냥 메모입니다\n두 번째 줄".encode())

    error = error_of(client.post("/v1/summaries/upload", files=files), 400)

    assert error["code"] == "invalid_chat"
    assert "카카오톡" in error["message_ko"]
    assert "KakaoTalk" in error["message_en"]


@pytest.mark.parametrize("path", ["/v1/summaries", "/v1/chat-images"])
def test_a_multipart_body_on_a_json_route_is_415_naming_its_upload_route(client, path):
    error = error_of(client.post(path, files=upload()), 415)

    assert error["code"] == "unsupported_media_type"
    assert f"{path}/upload" in error["message_en"]
    assert error["details"] == [{"upload_route": f"{path}/upload"}]


@pytest.mark.parametrize("path", ["/v1/summaries/upload", "/v1/chat-images/upload"])
def test_json_on_an_upload_route_is_415(client, path):
    assert error_of(client.post(path, json=MESSAGES), 415)["code"] == "unsupported_media_type"


# --- JSON --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/summaries", "/v1/images", "/v1/chat-images"])
def test_wrong_content_type_is_415(client, path):
    response = client.post(path, content=b"chat", headers={"Content-Type": "text/plain"})

    error = error_of(response, 415)
    assert error["code"] == "unsupported_media_type"
    assert error["details"] is None  # /v1/images has no upload route to name


@pytest.mark.parametrize(
    "body",
    [
        b'{"chat": ',
        b"",
        b"\xff\xfe not utf-8",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"chat": "\\ud800 hello"}',
        b'{"messages": [{"speaker": "a", "text": "\\udc00"}]}',
    ],
    ids=[
        "truncated",
        "empty",
        "not-utf-8",
        "nested-100000-deep",
        "lone-surrogate-chat",
        "lone-surrogate-message",
    ],
)
def test_hostile_json_is_a_400(client, body):
    response = client.post("/v1/summaries", content=body, headers=JSON_HEADERS)

    assert error_of(response, 400)["code"] == "invalid_json"


def test_a_surrogate_pair_is_fine(client):
    body = b'{"messages": [{"speaker": "a", "text": "\\ud83d\\ude00 \\ub0b4\\uc77c"}]}'

    assert client.post("/v1/summaries", content=body, headers=JSON_HEADERS).status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "location"),
    [
        ("/v1/summaries", {}, ["body"]),
        ("/v1/summaries", {"chat": "x", "messages": []}, ["body"]),
        ("/v1/summaries", {"messages": [{"speaker": "", "text": "x"}]}, ["body", "messages"]),
        ("/v1/images", {"prompt": "  "}, ["body", "prompt"]),
        ("/v1/images", {"prompt": "x", "steps": 0}, ["body", "steps"]),
        ("/v1/images", {"prompt": "x", "colour": "red"}, ["body", "colour"]),
        ("/v1/images", {"prompt": "x", "width": 40}, ["body", "width"]),
        ("/v1/images", {"prompt": "x", "height": 144}, ["body", "height"]),
        ("/v1/images", {"prompt": "x", "height": 0}, ["body", "height"]),
        ("/v1/chat-images", {**MESSAGES, "image": {"width": 8}}, ["body", "image", "width"]),
        ("/v1/chat-images", {"chat": "x", "image": {"seed": -1}}, ["body", "image", "seed"]),
        ("/v1/chat-images", {"chat": None, "messages": None}, ["body"]),
        ("/v1/chat-images", {**MESSAGES, "image": {"guidance_scale": False}}, ["body", "image"]),
    ],
)
def test_invalid_fields_are_422_with_details(client, path, body, location):
    error = error_of(client.post(path, json=body), 422)

    assert error["code"] == "validation_failed"
    assert any(detail["loc"][: len(location)] == location for detail in error["details"])
    assert all("input" not in detail for detail in error["details"])


def test_a_chat_without_messages_left_is_422(client):
    error = error_of(client.post("/v1/summaries", json={"messages": []}), 422)

    assert error["code"] == "empty_chat"


def test_chat_image_stream_answers_bad_input_with_its_status(client):
    response = client.post(
        "/v1/chat-images",
        json={"chat": "이건 카톡 내보내기가 아니에요"},
        headers={"Accept": "text/event-stream"},
    )

    assert error_of(response, 400)["code"] == "invalid_chat"


# --- the order of checks, and what OpenAPI says ------------------------------------------------


def test_the_key_is_checked_before_the_body(fake_gateway: FakeGateway):
    client = fake_gateway(api_keys="key-one")

    for body, headers in [(b"{", JSON_HEADERS), (b"chat", {"content-type": "text/plain"})]:
        response = client.post("/v1/summaries", content=body, headers=headers)
        assert error_of(response, 401)["code"] == "unauthorized"


def test_openapi_documents_the_json_and_the_upload_bodies(client):
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]

    def body_of(path: str) -> dict[str, object]:
        return paths[path]["post"]["requestBody"]["content"]

    assert set(body_of("/v1/summaries")) == {"application/json"}
    assert set(body_of("/v1/chat-images")) == {"application/json"}
    assert set(body_of("/v1/images")) == {"application/json"}
    assert set(body_of("/v1/summaries/upload")) == {"multipart/form-data"}
    upload_schema = body_of("/v1/chat-images/upload")["multipart/form-data"]["schema"]
    assert upload_schema == {"$ref": "#/components/schemas/ChatImageUpload"}
    components = schema["components"]["schemas"]
    assert {"file", "seed", "steps"} <= set(components["ChatImageUpload"]["properties"])
    assert {"ChatImageRequest", "SummaryRequest", "ImageRequest"} <= set(components)
    assert components["SummaryRequest"]["oneOf"] == [
        {"required": ["chat"]},
        {"required": ["messages"]},
    ]
    image_200 = paths["/v1/images"]["post"]["responses"]["200"]["content"]
    assert set(image_200) == {"image/png", "application/json"}


SIZE_SCHEMA = {"minimum": 16, "maximum": 128, "multipleOf": 16, "type": "integer"}


def _size_schemas(components: dict[str, dict], name: str) -> list[dict[str, object]]:
    """The non-null variant of ``height`` and ``width`` in a component's schema."""
    return [
        next(v for v in components[name]["properties"][size]["anyOf"] if v["type"] != "null")
        for size in ("height", "width")
    ]


def test_openapi_states_the_sizes_the_export_takes(client):
    components = client.get("/openapi.json").json()["components"]["schemas"]

    for name in ("ImageRequest", "ImageOptions", "ChatImageUpload"):
        assert _size_schemas(components, name) == [SIZE_SCHEMA, SIZE_SCHEMA], name
    image = components["ChatImageRequest"]["properties"]["image"]
    assert image["$ref"] == "#/components/schemas/ImageOptions"
    description = components["ImageRequest"]["properties"]["height"]["description"]
    assert "multiple of 16 up to 128; default 64" in description


def test_the_sizes_follow_the_export_the_gateway_is_given(fake_gateway: FakeGateway, tmp_path):
    sizes = ImageSizes(multiple=8, maximum=1024, default_height=512, default_width=512)
    pipeline = write_pipeline_sizes(tmp_path / "pipeline.json", sizes)
    client = fake_gateway(diffusion_pipeline=pipeline)

    wide = client.post("/v1/images", json={"prompt": "x", "width": 1024, "height": 40})

    assert wide.status_code == 200, wide.text
    components = client.get("/openapi.json").json()["components"]["schemas"]
    expected = {"minimum": 8, "maximum": 1024, "multipleOf": 8, "type": "integer"}
    assert _size_schemas(components, "ImageRequest") == [expected, expected]
    assert error_of(client.post("/v1/images", json={"prompt": "x", "width": 1032}), 422)


def test_a_gateway_without_the_export_s_sizes_does_not_start(fake_gateway, tmp_path):
    with pytest.raises(ImageSizesError, match="CALLE_DIFFUSION_PIPELINE"):
        fake_gateway(diffusion_pipeline=tmp_path / "missing.json")
