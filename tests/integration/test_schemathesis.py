"""The OpenAPI document tells the truth: schemathesis runs every check on every operation
(issue 7 item 10), in process over the ASGI app, logged in, on a fresh database.

The run is schemathesis' own engine (what its CLI runs: examples, coverage, fuzzing and
stateful phases), with a small, deterministic budget. Every built-in check runs; one is
narrowed, with its reason. ``positive_data_acceptance`` refuses a 422 for a request that fits
the schema, but a schema cannot say everything the service checks: a phone number must exist
(libphonenumber), a VAT number must pass its checksum, a Dutch postal code must be issued,
the current password must be the right one, a sign-up must declare 16 or older. So 422 is
among its expected statuses, and ``semantic_refusals_only`` fails a 422 to a schema-valid
request that names any field outside ``SEMANTIC_FIELDS``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema
from sqlalchemy import func, select

from privaat.bootstrap import Context
from privaat.store.tables_opendsr import opendsr_requests
from privaat.web.app import create_app
from privaat.web.deps import SESSION_COOKIE

CI_EXAMPLES = 20
# issue 16 item 1: a small budget in CI, a large one by hand (README, "Tests")
FUZZ_EXAMPLES = int(os.environ.get("PRIVAAT_FUZZ_EXAMPLES", CI_EXAMPLES))

ACCOUNT = {
    "email": "schema@example.nl",
    "password": "a long enough password",
    "name": "Schema Tester",
    "language": "nl",
    "age_declaration": True,
}
# per operation, the fields whose validity the schema cannot state (see the module docstring)
_CONTACT = {"email", "phone", "vat_number", "postal_code"}  # checked by well-kept libraries
# the text rule (services.text_fields): e.g. no card number, at least one visible character
_TEXT = {"name", "street", "city", "display_name"}
SEMANTIC_FIELDS = {
    "POST /api/v1/accounts": _CONTACT | _TEXT | {"age_declaration", "birth_date", "consents"},
    # current_password: the current one, and needed only when the e-mail changes
    "PATCH /api/v1/account": _CONTACT | _TEXT | {"current_password"},
    "POST /api/v1/account/password": {"current_password"},
    "POST /api/v1/account/close": {"password"},
    # a link's token must be one that was sent and not yet used
    "GET /api/v1/account/email/verify": {"token"},
    "GET /api/v1/account/email/confirm": {"token"},
    # the topics and channels on offer come from the policy file, not the schema (P4)
    "PUT /api/v1/preferences": {"topics", "channels"},
    # OpenDSR (issue 11 item 10): an identity must be an address or a hash, a callback URL one
    # our server may call (services.opendsr_delivery: https, no credentials, ...)
    "POST /opendsr/v1/opendsr_requests": {"subject_identities", "status_callback_urls"},
    # the two versions' order (from before to) is beyond what a schema can state (P19)
    "GET /privacy/changes": {"from"},
}
# rules the schema could state but does not yet, per operation (none now: the input models
# document format, minLength and non-nullable fields; test_openapi_truth.py holds them to it)
PENDING_IN_ACCOUNT_COMMANDS: dict[str, set[str]] = {}
BUDGET_SECONDS = 60


@schemathesis.check
def semantic_refusals_only(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 422 to a request that fits the schema names only fields the schema cannot check."""
    meta = case.meta
    if response.status_code != 422 or meta is None or not meta.generation.mode.is_positive:
        return None
    label = case.operation.label
    allowed = SEMANTIC_FIELDS.get(label, set()) | PENDING_IN_ACCOUNT_COMMANDS.get(label, set())
    fields = {entry["field"].split(".")[0] for entry in response.json().get("errors", [])}
    outside = fields - allowed
    if not fields or outside:
        raise AssertionError(f"a schema-valid request was refused for {sorted(outside)}")
    return None


def _config(token: str, api_key: str, service_key: str) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": 20261126,
            # CI: ~20 examples an operation, the same ones on every run; nothing left on disk.
            # PRIVAAT_FUZZ_EXAMPLES=N: N an operation, new ones each run (the large budget)
            "generation": {
                "max-examples": FUZZ_EXAMPLES,
                "deterministic": FUZZ_EXAMPLES == CI_EXAMPLES,
                "database": "none",
            },
            "cache": {"enabled": False},
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]
                },
            },
            "auth": {
                "openapi": {
                    "session": {"api_key": token},
                    "opendsr_key": {"bearer": api_key},
                    "telemetry_key": {"bearer": service_key},
                }
            },
        }
    )


@pytest.fixture
def api_schema(context: Context) -> Iterator[Any]:
    app = create_app(context)
    with TestClient(app) as client:
        assert client.post("/api/v1/accounts", json=ACCOUNT).status_code == 202
        credentials = {"email": ACCOUNT["email"], "password": ACCOUNT["password"]}
        response = client.post("/api/v1/session", json=credentials)
        assert response.status_code == 204
        token = response.cookies[SESSION_COOKIE]
        with context.unit_of_work() as uow:  # a business customer's OpenDSR key
            _customer, api_key = context.opendsr.add_customer(uow, "Schema Tester BV")
        with context.unit_of_work() as uow:  # a sending service's telemetry key (issue 12)
            _service, service_key = context.telemetry.add_service(
                uow, "schema-tester", ["voip_sync", "app_analytics"]
            )
        config = _config(token, api_key, service_key)
        yield schemathesis.openapi.from_asgi("/openapi.json", app, config=config)


def _failures(event: events.EngineEvent) -> list[str]:
    """Each failed check of a finished scenario, with the request and the answer."""
    if isinstance(event, events.ScenarioFinished) and event.status in (
        Status.FAILURE,
        Status.ERROR,
    ):
        found = []
        for case_id, checks in event.recorder.checks.items():
            interaction = event.recorder.interactions.get(case_id)
            answer = interaction.response if interaction else None
            for check in checks:
                if check.failure_info is None:
                    continue
                failure = check.failure_info.failure
                found.append(
                    f"{event.label} [{check.name}]: {failure.title}\n{failure.message}\n"
                    f"{check.failure_info.code_sample}\n"
                    + (f"-> {answer.status_code} {answer.content[:300]!r}" if answer else "")
                )
        return found or [f"{event.label}: {event.status}"]
    if isinstance(event, events.NonFatalError | events.FatalError):
        return [f"{type(event).__name__}: {getattr(event, 'value', event)!r}"]
    return []


def test_every_operation_answers_as_its_openapi_document_says(
    api_schema: Any, context: Context
) -> None:
    started = time.monotonic()
    found: list[str] = []
    scenarios = 0
    for event in from_schema(api_schema).execute():
        scenarios += isinstance(event, events.ScenarioFinished)
        found.extend(_failures(event))
    assert not found, "\n\n".join(dict.fromkeys(found))
    assert scenarios >= 10  # every operation ran: the run cannot pass by testing nothing
    with context.unit_of_work() as uow, uow.reading() as connection:
        filed = connection.execute(select(func.count()).select_from(opendsr_requests)).scalar()
    assert filed, "no OpenDSR request got past the API key: the key was not used"
    if FUZZ_EXAMPLES == CI_EXAMPLES:  # the large budget by hand takes as long as it takes
        assert time.monotonic() - started < BUDGET_SECONDS
