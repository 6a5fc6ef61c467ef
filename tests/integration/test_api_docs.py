"""``/docs`` loads nothing from a third party and runs under a CSP without inline script
(issue 7 item 8): FastAPI's default page fetched Swagger UI from a CDN, with an inline script."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from privaat.bootstrap import Context
from privaat.web.api_docs import DOCS_CSP
from privaat.web.app import create_app


@pytest.fixture
def docs(context: Context) -> Iterator[TestClient]:
    with TestClient(create_app(context)) as client:
        yield client


def _references(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


def test_the_docs_page_refers_only_to_this_origin(docs: TestClient) -> None:
    page = docs.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    references = _references(page.text)
    assert references and all(ref.startswith("/docs/") for ref in references), references
    assert "//" not in page.text.replace("<!DOCTYPE html>", "")  # no absolute URL at all


def test_the_docs_page_has_no_inline_script_and_a_strict_csp(docs: TestClient) -> None:
    page = docs.get("/docs")
    assert page.headers["content-security-policy"] == DOCS_CSP
    assert "script-src 'self'" in DOCS_CSP and "unsafe-inline" not in DOCS_CSP
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, flags=re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)


def test_every_file_the_page_uses_is_served_from_the_installed_package(docs: TestClient) -> None:
    types = {".css": "text/css", ".js": "text/javascript", ".png": "image/png"}
    for reference in _references(docs.get("/docs").text):
        asset = docs.get(reference)
        assert asset.status_code == 200, reference
        suffix = reference[reference.rindex(".") :]
        assert asset.headers["content-type"].startswith(types[suffix]), reference
        assert len(asset.content) > 100, reference


def test_swagger_ui_reads_this_apps_document(docs: TestClient) -> None:
    initializer = docs.get("/docs/swagger-initializer.js").text
    assert 'url: "/openapi.json"' in initializer
    assert "SwaggerUIBundle" in docs.get("/docs/swagger-ui-bundle.js").text


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/docs/index.html", id="package-file-not-used"),
        pytest.param("/docs/swagger-ui-bundle.js.map", id="source-map"),
        pytest.param("/docs/..%2F..%2F__init__.py", id="traversal"),
    ],
)
def test_nothing_else_of_the_package_is_served(docs: TestClient, path: str) -> None:
    response = docs.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_redoc_from_a_cdn_is_not_served(docs: TestClient) -> None:
    assert docs.get("/redoc").status_code == 404
