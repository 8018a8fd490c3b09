"""``GET /``, ``/static`` and ``/docs``: the web page and the API page, all served from here.

The web page is static files shipped in the package (no build step, no CDN) under the same
Content-Security-Policy at ``/`` and at ``/static/index.html``. The API page is Swagger UI from
the pinned ``swagger-ui-bundle`` wheel, served under ``/docs-assets`` instead of a CDN.
"""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
STATIC_PATH = "/static"
DOCS_ASSETS_PATH = "/docs-assets"
SWAGGER_UI_DIR = Path(swagger_ui_bundle.swagger_ui_path)

# Everything the page loads comes from this server; images arrive as data: URLs.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)

router = APIRouter(tags=["web"])


@router.get("/", include_in_schema=False)
async def index() -> FileResponse:
    """The Korean web page: upload or paste a chat, watch the summary then the picture."""
    return FileResponse(
        WEB_DIR / "index.html",
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY},
    )


@router.get("/docs", include_in_schema=False)
async def docs() -> HTMLResponse:
    """Swagger UI for ``/openapi.json``, its scripts and styles served by the gateway."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="CALL-E gateway - API",
        swagger_js_url=f"{DOCS_ASSETS_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{DOCS_ASSETS_PATH}/swagger-ui.css",
        swagger_favicon_url=f"{DOCS_ASSETS_PATH}/favicon-32x32.png",
    )


class PageFiles(StaticFiles):
    """The web page's static files, HTML ones under the page's Content-Security-Policy."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        """The file, with the CSP when it is a page."""
        response = await super().get_response(path, scope)
        if response.media_type and response.media_type.startswith("text/html"):
            response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response


def page_files() -> PageFiles:
    """The app mounts this at :data:`STATIC_PATH`."""
    return PageFiles(directory=WEB_DIR)


def docs_assets() -> StaticFiles:
    """The app mounts this at :data:`DOCS_ASSETS_PATH`."""
    return StaticFiles(directory=SWAGGER_UI_DIR)
