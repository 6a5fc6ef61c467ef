"""The page layer (issue 8 items 1 and 5): one layout, local assets, the CSP without
'unsafe-inline', Permissions-Policy, Dutch by default, English by the switch or the browser,
CSRF on every state-changing form, HTML errors on pages."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from tests.integration.test_pages_support import submit, token_of

from privaat.services.text_fields import Refusal
from privaat.web.pages.forms import TEXT_REFUSALS

PUBLIC_PAGES = ["/", "/login", "/signup", "/signup/sent", "/email/verify?token=x"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_item1_every_page_has_the_page_csp_without_unsafe_inline(
    client: TestClient, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    for directive in (
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ):
        assert directive in csp
    assert "camera=()" in response.headers["permissions-policy"]
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_item1_every_asset_is_local_and_nothing_is_inline(client: TestClient, path: str) -> None:
    html = client.get(path).text
    assert "<script" not in html and "<style" not in html and " style=" not in html
    assert not re.search(r" on[a-z]+=", html), "no inline event handler"
    for url in re.findall(r'(?:src|href|action)="([^"]+)"', html):
        assert url.startswith(("/", "#", "mailto:")), url
    assert client.get("/static/site.css").headers["content-type"].startswith("text/css")


def test_item1_dutch_by_default(client: TestClient) -> None:
    response = client.get("/")
    assert response.headers["content-language"] == "nl"
    assert '<html lang="nl">' in response.text and "Inloggen" in response.text


def test_item1_english_when_the_browser_asks_for_it(client: TestClient) -> None:
    response = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9,nl;q=0.5"})
    assert response.headers["content-language"] == "en"
    assert '<html lang="en">' in response.text and "Log in" in response.text


def test_item1_the_language_switch_persists_in_a_cookie_over_accept_language(
    client: TestClient,
) -> None:
    response = submit(client, "/language", {"lang": "en", "next": "/privacy"}, page="/")
    assert response.status_code == 303 and response.headers["location"] == "/privacy"
    assert "privaat_lang=en" in response.headers["set-cookie"]
    page = client.get("/", headers={"Accept-Language": "nl"})
    assert page.headers["content-language"] == "en"
    back = submit(client, "/language", {"lang": "nl", "next": "/"})
    assert back.status_code == 303
    assert client.get("/", headers={"Accept-Language": "en"}).headers["content-language"] == "nl"


@pytest.mark.parametrize(
    "target",
    [
        pytest.param("https://evil.example/", id="other-host"),
        pytest.param("//evil.example/", id="scheme-relative"),
        pytest.param("/\\evil.example", id="backslash"),
        pytest.param("/api/v1/account", id="api"),
    ],
)
def test_item5_the_switch_returns_only_to_a_page_of_this_site(
    client: TestClient, target: str
) -> None:
    response = submit(client, "/language", {"lang": "en", "next": target}, page="/")
    assert response.headers["location"] == "/"


@pytest.mark.parametrize(
    ("token", "headers"),
    [
        pytest.param(None, {}, id="no-token"),
        pytest.param("forged", {}, id="wrong-token"),
        pytest.param("page", {"Sec-Fetch-Site": "cross-site"}, id="cross-site-fetch"),
        pytest.param("page", {"Origin": "https://evil.example"}, id="other-origin"),
    ],
)
def test_item5_a_post_without_a_valid_token_is_refused_with_a_page(
    client: TestClient, token: str | None, headers: dict[str, str]
) -> None:
    html = client.get("/").text
    data = {"lang": "en", "next": "/"}
    if token is not None:
        data["csrf_token"] = token_of(html) if token == "page" else token
    response = client.post("/language", data=data, headers=headers, follow_redirects=False)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "privaat_lang" not in response.headers.get("set-cookie", "")
    assert "Het formulier kon niet worden verstuurd" in response.text


def test_item5_a_token_from_another_browser_is_refused(context: object, client: TestClient) -> None:
    stolen = token_of(client.get("/").text)
    client.cookies.clear()
    client.get("/")  # this browser gets a nonce of its own
    response = client.post(
        "/language", data={"lang": "en", "csrf_token": stolen}, follow_redirects=False
    )
    assert response.status_code == 403


def test_item1_an_unknown_lang_query_falls_back_to_the_browser(client: TestClient) -> None:
    response = client.get("/?lang=fr", headers={"Accept-Language": "en"})
    assert response.headers["content-language"] == "en"


def test_item5_every_refusal_of_the_text_rule_has_words_for_a_form() -> None:
    assert set(TEXT_REFUSALS) == set(Refusal)
