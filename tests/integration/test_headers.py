"""Headers at the edges (issue 7 item 8): every response, whoever made it, carries them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from privaat.bootstrap import Context
from privaat.web.app import create_app
from privaat.web.body_limit import MAX_BODY_BYTES
from privaat.web.headers import DEFAULT_CSP, HSTS, _with_frame_ancestors

ACCOUNT = {
    "email": "kop@example.nl",
    "password": "correct horse battery",
    "name": "Kop Tester",
    "language": "nl",
    "age_declaration": True,
}
CREDENTIALS = {"email": ACCOUNT["email"], "password": ACCOUNT["password"]}


def _app(context: Context, **settings: Any) -> FastAPI:
    """The real app, plus two routes only tests have: one that fails, one with its own CSP."""
    if settings:
        context = dataclasses.replace(
            context, settings=context.settings.model_copy(update=settings)
        )
    app = create_app(context)

    @app.get("/test-only/failure")
    def failure() -> None:
        raise RuntimeError("boom")

    @app.get("/test-only/own-csp")
    def own_csp() -> HTMLResponse:
        return HTMLResponse("<p>hi</p>", headers={"Content-Security-Policy": "default-src 'self'"})

    return app


@pytest.fixture
def edge_client(context: Context) -> Iterator[TestClient]:
    with TestClient(_app(context), raise_server_exceptions=False) as client:
        yield client


REQUESTS = [
    pytest.param("GET", "/healthz", {}, 200, id="200-healthz"),
    pytest.param("GET", "/privacy", {}, 200, id="200-privacy-page"),
    pytest.param("GET", "/privacy.md", {}, 200, id="200-markdown"),
    pytest.param("GET", "/openapi.json", {}, 200, id="200-openapi"),
    pytest.param("GET", "/api/v1/account", {}, 401, id="401-api"),
    pytest.param("GET", "/no-such-page", {}, 404, id="404"),
    pytest.param("PUT", "/api/v1/account", {}, 405, id="405"),
    pytest.param(
        "POST", "/api/v1/accounts", {"content": b"x" * (MAX_BODY_BYTES + 1)}, 413, id="413-body"
    ),
    pytest.param("POST", "/api/v1/accounts", {"json": {}}, 422, id="422"),
    pytest.param("GET", "/test-only/failure", {}, 500, id="500-unhandled"),
]


@pytest.mark.parametrize(("method", "path", "send", "status"), REQUESTS)
def test_every_response_carries_nosniff_referrer_policy_and_frame_ancestors(
    edge_client: TestClient, method: str, path: str, send: dict[str, Any], status: int
) -> None:
    response = edge_client.request(method, path, **send)
    assert response.status_code == status
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_a_response_without_its_own_csp_gets_the_strict_default(edge_client: TestClient) -> None:
    assert edge_client.get("/healthz").headers["content-security-policy"] == DEFAULT_CSP


def test_the_privacy_page_keeps_its_own_csp(edge_client: TestClient) -> None:
    csp = edge_client.get("/privacy").headers["content-security-policy"]
    assert csp.startswith("default-src 'none'; style-src 'unsafe-inline'")
    assert csp.count("frame-ancestors") == 1


def test_a_routes_csp_without_frame_ancestors_gets_it_added(edge_client: TestClient) -> None:
    csp = edge_client.get("/test-only/own-csp").headers["content-security-policy"]
    assert csp == "default-src 'self'; frame-ancestors 'none'"


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        pytest.param(None, DEFAULT_CSP, id="none"),
        pytest.param("", DEFAULT_CSP, id="empty"),
        pytest.param("img-src 'self';", "img-src 'self'; frame-ancestors 'none'", id="trailing-;"),
        pytest.param(
            "default-src 'none'; FRAME-ANCESTORS https://a.example",
            "default-src 'none'; FRAME-ANCESTORS https://a.example",
            id="own-frame-ancestors-kept",
        ),
    ],
)
def test_frame_ancestors_is_added_only_where_missing(policy: str | None, expected: str) -> None:
    assert _with_frame_ancestors(policy) == expected


@pytest.mark.parametrize(
    ("method", "path", "send"),
    [
        pytest.param("POST", "/api/v1/accounts", {"json": ACCOUNT}, id="202"),
        pytest.param("GET", "/api/v1/account", {}, id="401"),
        pytest.param("GET", "/api/v1/nothing-here", {}, id="404"),
    ],
)
def test_nothing_under_api_may_be_stored_by_a_cache(
    edge_client: TestClient, method: str, path: str, send: dict[str, Any]
) -> None:
    assert edge_client.request(method, path, **send).headers["cache-control"] == "no-store"


def test_the_public_pages_may_be_cached(edge_client: TestClient) -> None:
    assert "cache-control" not in edge_client.get("/privacy").headers


def test_hsts_is_sent_when_the_base_url_is_https(context: Context) -> None:
    app = _app(context, base_url="https://privaat.example")
    with TestClient(app, base_url="https://privaat.example") as client:
        assert client.get("/healthz").headers["strict-transport-security"] == HSTS
        assert client.get("/api/v1/account").headers["strict-transport-security"] == HSTS


def test_no_hsts_while_the_base_url_is_plain_http(edge_client: TestClient) -> None:
    # a demo on http://127.0.0.1 must not pin the browser to https for that host
    assert "strict-transport-security" not in edge_client.get("/healthz").headers


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        pytest.param("PUT", "/api/v1/account", "GET, PATCH", id="account"),
        pytest.param("GET", "/api/v1/session", "POST, DELETE", id="session"),
        pytest.param("DELETE", "/privacy", "GET", id="privacy"),
    ],
)
def test_a_405_allows_every_method_of_the_path(
    edge_client: TestClient, method: str, path: str, allow: str
) -> None:
    # RFC 9110 §15.5.6: Allow lists the methods the target supports, not one route's
    response = edge_client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.headers["content-type"] == "application/problem+json"


def test_204_answers_carry_no_content_type(edge_client: TestClient) -> None:
    """RFC 9110 §15.3.5: a 204 has no content, so nothing to give a type (was application/json)."""
    assert edge_client.post("/api/v1/accounts", json=ACCOUNT).status_code == 202
    answers = [
        edge_client.post("/api/v1/session", json=CREDENTIALS),
        edge_client.post(
            "/api/v1/account/password",
            json={"current_password": ACCOUNT["password"], "new_password": "another long one"},
        ),
        edge_client.post("/api/v1/account/close", json={"password": "another long one"}),
        edge_client.delete("/api/v1/session"),
    ]
    assert [a.status_code for a in answers] == [204] * 4
    for answer in answers:
        assert "content-type" not in answer.headers, answer.request.url
        assert answer.content == b""
