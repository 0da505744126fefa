"""The API documentation page (Swagger UI), served from the vendored copy: no CDN needed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

docs_router = APIRouter(include_in_schema=False)


@docs_router.get("/api/docs")
def api_docs(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(
        openapi_url=f"{root}/api/openapi.json",
        title="LoanPilot API",
        swagger_js_url=f"{root}/static/vendor/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url=f"{root}/static/vendor/swagger-ui/swagger-ui.css",
        swagger_favicon_url=f"{root}/static/favicon.svg",
    )
