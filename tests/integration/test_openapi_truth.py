"""The OpenAPI document tells the truth (issue 7 item 10); each case was a schemathesis finding
or a lie FastAPI's defaults told: ``HTTPValidationError`` as ``application/json``, no 401/429,
``/privacy.md`` as JSON, a 204 with a content type, a 405 allowing only one route's method."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from privaat.bootstrap import Context
from privaat.services.passwords import MIN_LENGTH
from privaat.web.app import create_app

PROBLEM = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


@pytest.fixture
def api(context: Context) -> Iterator[TestClient]:
    with TestClient(create_app(context), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def document(api: TestClient) -> dict[str, Any]:
    response = api.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield method.upper(), path, operation


def test_fastapis_validation_error_shape_is_gone(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert "HTTPValidationError" not in str(document)


def test_every_error_response_is_a_problem_document(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert response["content"] == {PROBLEM: {"schema": PROBLEM_REF}}, (
                    method,
                    path,
                    status,
                )


def test_the_problem_schema_has_the_rfc_9457_members_and_field_errors(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    problem = schemas["Problem"]
    assert set(problem["properties"]) == {"type", "title", "status", "detail", "instance", "errors"}
    assert set(problem["required"]) == {"type", "title", "status", "instance"}
    assert problem["additionalProperties"] is True  # RFC 9457 §3.2 extension members
    assert problem["properties"]["errors"]["items"] == {"$ref": "#/components/schemas/FieldError"}
    assert set(schemas["FieldError"]["properties"]) == {"in", "pointer", "field", "message"}


def test_a_real_422_matches_the_documented_problem(api: TestClient) -> None:
    response = api.post("/api/v1/accounts", json={"email": "x"})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert {"type", "title", "status", "instance", "errors"} <= set(problem)
    assert all(set(entry) == {"in", "pointer", "field", "message"} for entry in problem["errors"])


AUTHENTICATED = [
    ("GET", "/api/v1/account"),
    ("PATCH", "/api/v1/account"),
    ("POST", "/api/v1/account/close"),
    ("POST", "/api/v1/account/password"),
    ("GET", "/api/v1/account/logins"),
    # issue 10: the person's own consents, their history and receipts
    ("GET", "/api/v1/consents"),
    ("POST", "/api/v1/consents/{activity}"),
    ("DELETE", "/api/v1/consents/{activity}"),
    ("GET", "/api/v1/consents/history"),
    ("GET", "/api/v1/consents/receipts/{record_id}"),
    # issue 10 item 2: the person's own marketing preferences
    ("GET", "/api/v1/preferences"),
    ("PUT", "/api/v1/preferences"),
    # issue 11: the person's own data-subject requests
    ("POST", "/api/v1/requests"),
    ("GET", "/api/v1/requests"),
    ("GET", "/api/v1/requests/{request_id}"),
]
# issue 12 item 1: the telemetry routes, by a sending service's key (a bearer token)
BY_SERVICE_KEY = [
    ("POST", "/api/v1/telemetry/voip_sync"),
    ("POST", "/api/v1/telemetry/app_analytics"),
    ("POST", "/api/v1/telemetry/service_login"),  # issue 12 item 5
]
# issue 11 item 10: a business customer's OpenDSR routes, by its API key (a bearer token)
BY_API_KEY = [
    ("POST", "/opendsr/v1/opendsr_requests"),
    ("GET", "/opendsr/v1/opendsr_requests/{subject_request_id}"),
    ("DELETE", "/opendsr/v1/opendsr_requests/{subject_request_id}"),
    # issue 15 item 10: a business customer's sub-processor notices, with the same key
    ("GET", "/api/v1/business/notices"),
    ("POST", "/api/v1/business/notices/{notice_id}/objection"),
]


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        pytest.param("POST", "/api/v1/accounts", {"202", "400", "413", "422", "429", "503"},
                     id="sign-up"),
        pytest.param("POST", "/api/v1/session", {"204", "400", "401", "403", "413", "422", "429",
                                                 "503"}, id="log-in"),
        pytest.param("DELETE", "/api/v1/session", {"204", "503"}, id="log-out"),
        pytest.param("GET", "/api/v1/account", {"200", "401", "403", "503"}, id="read"),
        pytest.param("PATCH", "/api/v1/account", {"200", "400", "401", "403", "409", "413", "422",
                                                  "429", "503"}, id="rectify"),
        pytest.param("POST", "/api/v1/account/close", {"204", "400", "401", "403", "413", "422",
                                                       "429", "503"}, id="close"),
        pytest.param("POST", "/api/v1/account/password", {"204", "400", "401", "403", "413",
                                                          "422", "429", "503"}, id="password"),
        pytest.param("GET", "/api/v1/account/logins", {"200", "401", "403", "503"}, id="logins"),
        pytest.param("GET", "/privacy", {"200", "422", "503"}, id="privacy"),
        pytest.param("GET", "/privacy.md", {"200", "422", "503"}, id="privacy-md"),
    ],
)  # fmt: skip
def test_each_operation_declares_the_statuses_it_can_answer(
    document: dict[str, Any], method: str, path: str, statuses: set[str]
) -> None:
    assert set(document["paths"][path][method.lower()]["responses"]) == statuses


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/api/v1/session"), *AUTHENTICATED, ("POST", "/api/v1/accounts")],
)
def test_429_and_the_database_503_declare_retry_after(
    document: dict[str, Any], method: str, path: str
) -> None:
    responses = document["paths"][path][method.lower()]["responses"]
    for status in {"429", "503"} & set(responses):
        assert responses[status]["headers"]["Retry-After"]["schema"]["type"] == "integer"


def test_a_real_429_carries_retry_after(api: TestClient) -> None:
    guess = {"email": "nobody@example.nl", "password": "wrong password"}
    answers = [api.post("/api/v1/session", json=guess) for _ in range(6)]
    assert answers[-1].status_code == 429
    assert int(answers[-1].headers["retry-after"]) > 0


def test_the_session_cookie_is_the_declared_security_of_the_account_routes(
    document: dict[str, Any],
) -> None:
    scheme = document["components"]["securitySchemes"]["session"]
    assert scheme == {
        "type": "apiKey",
        "in": "cookie",
        "name": "privaat_session",
        "description": scheme["description"],
    }
    for method, path, operation in _operations(document):
        expected = [{"session": []}] if (method, path) in AUTHENTICATED else None
        if (method, path) in BY_API_KEY:
            expected = [{"opendsr_key": []}]
        if (method, path) in BY_SERVICE_KEY:
            expected = [{"telemetry_key": []}]
        assert operation.get("security") == expected, (method, path)


def test_item10_the_opendsr_routes_declare_their_api_key_and_statuses(
    document: dict[str, Any],
) -> None:
    scheme = document["components"]["securitySchemes"]["opendsr_key"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    paths = document["paths"]
    assert set(paths["/opendsr/v1/opendsr_requests"]["post"]["responses"]) == {
        "201", "400", "401", "409", "413", "422", "503"
    }  # fmt: skip
    item = paths["/opendsr/v1/opendsr_requests/{subject_request_id}"]
    assert set(item["get"]["responses"]) == {"200", "401", "404", "422", "503"}
    assert set(item["delete"]["responses"]) == {"202", "401", "404", "409", "422", "503"}
    assert "security" not in paths["/opendsr/v1/discovery"]["get"]


def test_privacy_md_is_documented_as_markdown(document: dict[str, Any]) -> None:
    content = document["paths"]["/privacy.md"]["get"]["responses"]["200"]["content"]
    assert content == {"text/markdown": {"schema": {"type": "string"}}}


def test_204_responses_are_documented_without_content(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        if "204" in operation["responses"]:
            assert "content" not in operation["responses"]["204"], (method, path)


def test_an_undecodable_body_is_the_documented_400_problem(api: TestClient) -> None:
    """A schemathesis finding: FastAPI answers a body that is not UTF-8 with an undocumented 400."""
    response = api.post(
        "/api/v1/session", content=b"\xe9", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM


def test_the_docs_routes_are_not_operations(document: dict[str, Any]) -> None:
    assert not [path for path in document["paths"] if path.startswith("/docs")]


# --- what the input models state ---------------------------------------------------------


def _request_schema(document: dict[str, Any], name: str) -> dict[str, Any]:
    schema: dict[str, Any] = document["components"]["schemas"][name]
    return schema


@pytest.mark.parametrize("model", ["AccountCreate", "AccountUpdate"])
def test_the_email_is_documented_as_an_email(document: dict[str, Any], model: str) -> None:
    email = _request_schema(document, model)["properties"]["email"]
    formats = [email.get("format")] + [part.get("format") for part in email.get("anyOf", [])]
    assert "email" in formats


@pytest.mark.parametrize(("model", "field"), [("AccountCreate", "password"),
                                              ("PasswordChange", "new_password")])  # fmt: skip
def test_a_new_password_is_documented_with_its_minimum_length(
    document: dict[str, Any], model: str, field: str
) -> None:
    assert _request_schema(document, model)["properties"][field]["minLength"] == MIN_LENGTH


@pytest.mark.parametrize("field", ["email", "name", "language"])
def test_rectification_does_not_document_null_for_a_required_field(
    document: dict[str, Any], field: str
) -> None:
    # PATCH {"language": null} is a 422 "cannot be empty" (a schemathesis finding)
    schema = _request_schema(document, "AccountUpdate")["properties"][field]
    assert {"type": "null"} not in schema.get("anyOf", [])


def test_a_problems_instance_is_a_uri_reference_even_for_an_awkward_path(api: TestClient) -> None:
    # RFC 9457 §3.1.5: "instance" is a URI reference; schemathesis sent "/privacy/v/<\x03"
    # and got the decoded path back, which no URI may hold
    response = api.get("/privacy/v/%3C%03 x")
    assert response.status_code == 422
    assert response.json()["instance"] == "/privacy/v/%3C%03%20x"
