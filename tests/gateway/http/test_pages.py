"""Besides the API, on the fake backend: unknown routes and methods, the page, its CSP, docs.

Swagger UI comes from local files, never a CDN; errors never carry tracebacks.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.gateway.http.conftest import FakeGateway


@pytest.fixture
def client(fake_gateway: FakeGateway) -> TestClient:
    return fake_gateway()


def test_unknown_route_and_wrong_method_use_the_error_schema(client):
    assert client.get("/v2/nothing").json()["error"]["code"] == "not_found"
    response = client.get("/v1/summaries")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_web_page_and_its_assets_are_served_without_external_resources(client):
    page = client.get("/")

    assert page.status_code == 200
    assert 'lang="ko"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for asset in ("/static/app.js", "/static/app.css"):
        assert client.get(asset).status_code == 200
    assert "http://" not in page.text
    assert "https://" not in page.text


def test_static_page_has_the_csp_and_docs_need_no_cdn(client):
    page = client.get("/static/index.html")
    assert page.status_code == 200
    assert (
        page.headers["content-security-policy"]
        == client.get("/").headers["content-security-policy"]
    )
    docs = client.get("/docs").text
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs)
    assert assets
    assert all(asset.startswith("/") for asset in assets), assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


def test_errors_never_leak_internal_details(client):
    body = client.post("/v1/summaries", json={"chat": "???"}).text

    assert "Traceback" not in body
