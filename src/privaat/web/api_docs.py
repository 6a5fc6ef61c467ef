"""``/docs``: Swagger UI from the installed ``swagger-ui-bundle-v2`` files, never from a CDN.

FastAPI's own page loads Swagger UI from a CDN: every reader's address would go to a third
party, and the page would need an inline script. This one is served from the package, with
its start-up code in a file of its own, so its Content-Security-Policy allows scripts from
this origin only. ReDoc (also from a CDN) is not served.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, Response
from swagger_ui_bundle import swagger_ui_path

__all__ = ["DOCS_CSP", "router"]

router = APIRouter(include_in_schema=False)

_ASSETS = Path(str(swagger_ui_path))
_MEDIA_TYPES = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
# Swagger UI draws its icons from data: URIs in its stylesheet; "Try it out" calls this origin
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>privaat API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-initializer.js"></script>
</body>
</html>
"""
# FastAPI's defaults for its own page (fastapi.openapi.docs.swagger_ui_default_parameters)
_INITIALIZER = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis],
  });
});
"""


@router.get("/docs")
def docs_page() -> HTMLResponse:
    return HTMLResponse(_PAGE, headers={"Content-Security-Policy": DOCS_CSP})


@router.get("/docs/swagger-initializer.js")
def docs_initializer() -> Response:
    return Response(_INITIALIZER, media_type="text/javascript; charset=utf-8")


@router.get("/docs/{name}")
def docs_asset(name: str) -> Response:
    """One of the few Swagger UI files the page uses; nothing else from the package."""
    media_type = _MEDIA_TYPES.get(name)
    if media_type is None:
        raise HTTPException(status_code=404, detail="no such file")
    return FileResponse(_ASSETS / name, media_type=media_type)
