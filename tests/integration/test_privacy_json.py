"""``/privacy.json``: the statement's machine-readable twin (issue 9 item 2), the policy with
DPV terms as JSON-LD, one document for every reader, linked from the HTML and documented."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from privaat.bootstrap import Context
from privaat.web.app import create_app
from privaat.web.pages import privacy

JSON_LD = "application/ld+json"


@pytest.fixture
def app_client(context: Context) -> Any:
    with TestClient(create_app(context), client=("145.97.0.1", 50000)) as client:
        yield client


def test_the_json_twin_is_json_ld_with_dpv_terms(app_client: TestClient, context: Context) -> None:
    response = app_client.get("/privacy.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON_LD
    document = response.json()
    context_text = json.dumps(document["@context"])
    assert "https://w3id.org/dpv" in context_text
    # it is this policy: its controller and version, every activity
    text = response.text
    assert context.policy.controller.name in text
    for activity in context.policy.activities:
        assert f"activity-{activity.id}" in text or f'"{activity.id}"' in text, activity.id


def test_the_json_twin_is_the_same_for_every_language(app_client: TestClient) -> None:
    dutch = app_client.get("/privacy.json", headers={"Accept-Language": "nl"})
    english = app_client.get("/privacy.json", headers={"Accept-Language": "en-GB"})
    assert dutch.content == english.content
    # nothing about it varies by language, so a cache may give one copy to everyone
    assert "content-language" not in dutch.headers
    assert "accept-language" not in dutch.headers.get("vary", "").lower()


def test_the_html_statement_links_its_json_twin(app_client: TestClient) -> None:
    for lang in ("nl", "en"):
        html = app_client.get("/privacy", params={"lang": lang}).text
        (link,) = re.findall(r"<link\b[^>]*>", html)
        assert 'rel="alternate"' in link and f'type="{JSON_LD}"' in link
        assert 'href="/privacy.json"' in link


def test_the_json_twin_is_built_once_per_policy(
    app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []
    build = privacy.policy_jsonld

    def counted(policy: Any) -> dict[str, Any]:
        calls.append(policy)
        return build(policy)

    monkeypatch.setattr(privacy, "policy_jsonld", counted)
    first = app_client.get("/privacy.json")
    second = app_client.get("/privacy.json")
    assert first.content == second.content
    assert len(calls) == 1  # the policy is immutable: its document is too


def test_the_openapi_document_describes_it_as_json_ld(app_client: TestClient) -> None:
    operation = app_client.get("/openapi.json").json()["paths"]["/privacy.json"]["get"]
    assert set(operation["responses"]["200"]["content"]) == {JSON_LD}
    assert set(operation["responses"]) == {"200", "503"}
