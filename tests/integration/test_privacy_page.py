"""``GET /privacy`` and ``/privacy.md``: the public policy in the reader's language (L6)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from privaat.policy.loader import load_policy_file
from privaat.policy.schema import Policy
from privaat.settings import default_policy_file
from privaat.web.pages.privacy import router

HEADINGS = {"nl": "Privacyverklaring van Flexibelt", "en": "Privacy statement of Flexibelt"}


@cache
def _shipped() -> Policy:
    return load_policy_file(default_policy_file())


@pytest.fixture
def client() -> Iterator[TestClient]:
    """A bare app with only this router, its policy where the app factory puts it."""
    app = FastAPI()
    app.state.policy = _shipped()
    app.include_router(router)
    with TestClient(app) as test_client:
        yield test_client


def _language_of(html: str) -> str:
    return "nl" if f"<h1>{HEADINGS['nl']}</h1>" in html else "en"


def test_l6_the_privacy_page_is_dutch_html_by_default(client: TestClient) -> None:
    response = client.get("/privacy")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-language"] == "nl"
    assert "Accept-Language" in response.headers["vary"]
    assert '<html lang="nl">' in response.text
    assert "Laatst bijgewerkt: <time" in response.text


@pytest.mark.parametrize(
    ("accept_language", "lang"),
    [
        pytest.param("en-GB", "en", id="en-GB"),
        pytest.param("nl-BE", "nl", id="nl-BE"),
        pytest.param("fr", "nl", id="fr-falls-back-to-dutch"),
        pytest.param("fr-FR, en-US;q=0.7, nl;q=0.3", "en", id="best-published-match"),
    ],
)
def test_l6_the_language_follows_accept_language(
    client: TestClient, accept_language: str, lang: str
) -> None:
    response = client.get("/privacy", headers={"Accept-Language": accept_language})
    assert response.headers["content-language"] == lang
    assert f'<html lang="{lang}">' in response.text
    assert _language_of(response.text) == lang


@pytest.mark.parametrize(
    ("query", "accept_language", "lang"),
    [
        pytest.param("en", "nl-NL", "en", id="switch-to-en"),
        pytest.param("nl", "en-GB", "nl", id="switch-to-nl"),
        pytest.param("EN", "nl-NL", "en", id="switch-ignores-case"),
        pytest.param("de", "en-GB", "en", id="unknown-switch-falls-back-to-header"),
    ],
)
def test_l6_the_lang_switch_overrides_the_browser_language(
    client: TestClient, query: str, accept_language: str, lang: str
) -> None:
    response = client.get(
        "/privacy", params={"lang": query}, headers={"Accept-Language": accept_language}
    )
    assert response.status_code == 200
    assert response.headers["content-language"] == lang
    assert _language_of(response.text) == lang


def test_l6_each_language_links_to_the_other(client: TestClient) -> None:
    dutch = client.get("/privacy", params={"lang": "nl"}).text
    english = client.get("/privacy", params={"lang": "en"}).text
    assert '<a href="/privacy?lang=en" hreflang="en" lang="en">English</a>' in dutch
    assert '<a href="/privacy?lang=nl" hreflang="nl" lang="nl">Nederlands</a>' in english
    # following the link gives the other language
    assert _language_of(client.get("/privacy?lang=en").text) == "en"


def test_the_page_loads_nothing_from_elsewhere(client: TestClient) -> None:
    response = client.get("/privacy")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "<script" not in response.text and "<img" not in response.text
    # the one <link> names the JSON-LD twin (rel=alternate): a browser loads nothing for it
    (link,) = re.findall(r"<link\b[^>]*>", response.text)
    assert link.startswith('<link rel="alternate" type="application/ld+json" href="/privacy.json"')


@pytest.mark.parametrize(
    ("params", "headers", "lang"),
    [
        pytest.param({}, {}, "nl", id="default"),
        pytest.param({}, {"Accept-Language": "en-GB"}, "en", id="negotiated"),
        pytest.param({"lang": "en"}, {"Accept-Language": "nl"}, "en", id="switch"),
    ],
)
def test_l6_the_policy_is_also_served_as_markdown(
    client: TestClient, params: dict[str, str], headers: dict[str, str], lang: str
) -> None:
    response = client.get("/privacy.md", params=params, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert response.headers["content-language"] == lang
    assert response.text.startswith(f"# {HEADINGS[lang]}\n")
    other = "en" if lang == "nl" else "nl"
    assert f"(/privacy.md?lang={other})" in response.text


def test_every_promise_of_the_policy_is_on_the_page(client: TestClient) -> None:
    html = client.get("/privacy").text
    for activity in _shipped().activities:
        assert f'data-promises="{" ".join(activity.promises)}"' in html


def test_without_a_loaded_policy_the_page_says_so_instead_of_failing() -> None:
    app = FastAPI()
    app.include_router(router)
    with TestClient(app) as client:
        response = client.get("/privacy")
    assert response.status_code == 503
    assert response.json() == {"detail": "no privacy policy is loaded"}
