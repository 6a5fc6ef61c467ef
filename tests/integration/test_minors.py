"""The under-16 flag (issue 13 item 2; P18, LEGAL L46/L47): staff or a stated birth date flag
an existing account; processing stops at once, the data is erased through the erasure of
issue 9 except what the law compels, and the audit trail says so without personal data."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from tests.factories import Customer, confirm_consents, customer
from tests.integration.test_console_roles import csrf_token, staff_session

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.domain.guard import DenyReason
from privaat.domain.principal import StaffMember, StaffRole
from privaat.services.consents import ConsentMethod, Evidence
from privaat.services.minors import MinorReason
from privaat.store.tables import accounts, audit_log, consent_events, subject_keys, subjects
from privaat.web.app import create_app
from privaat.web.console.access import STAFF_COOKIE

OFFICER = StaffMember(1, StaffRole.PRIVACY_OFFICER)
# what the law itself compels (art. 17(3)(b), 6(1)(c)) and runs without an account: the
# rights requests, tax records, breaches, disclosures the law requires, the consent proof
LAW_COMPELLED = {
    "rights_handling",
    "tax_records",
    "breach_handling",
    "disclosures",
    "consent_records",
}


def _with_consent(context: Context) -> Customer:
    """A customer with a marketing consent: its proof is held, so a tombstone stays."""
    person = customer(context, name="Pietje Puk")
    with context.unit_of_work() as uow:
        context.consents.give(
            uow,
            person.principal,
            person.subject_id,
            "marketing_email",
            lang=None,
            method=ConsentMethod.PRIVACY_CENTRE,
            evidence=Evidence.none(),
        )
    confirm_consents(context, person.email)  # a double opt-in (issue 14 item 5): the link opened
    return person


def _allowed(context: Context, subject_id: int) -> set[str]:
    with context.unit_of_work() as uow, uow.reading() as connection:
        return {
            activity.id
            for activity in context.policy.activities
            if context.access.decide(connection, OFFICER, subject_id, activity.id).allowed
        }


def _audit(context: Context, action: str) -> list[dict[str, object]]:
    with context.engine.connect() as connection:
        rows = connection.execute(
            select(audit_log.c.actor, audit_log.c.subject_pseudonym, audit_log.c.detail).where(
                audit_log.c.action == action
            )
        ).all()
    return [{"actor": r.actor, "pseudonym": r.subject_pseudonym, "detail": r.detail} for r in rows]


def test_p18_l47_after_the_flag_only_what_the_law_compels_is_allowed(context: Context) -> None:
    person = _with_consent(context)
    assert "marketing_email" in _allowed(context, person.subject_id)
    with context.unit_of_work() as uow:
        outcome = context.minors.flag(
            uow, OFFICER, person.subject_id, reason=MinorReason.TOLD_BY_PARENT
        )
    assert outcome.erasure is not None and outcome.waits is None
    assert _allowed(context, person.subject_id) == LAW_COMPELLED
    with context.unit_of_work() as uow, uow.reading() as connection:
        marketing = context.access.decide(connection, OFFICER, person.subject_id, "marketing_email")
    assert marketing.reason is DenyReason.MINOR


def test_l47_the_erasure_ran_and_the_audit_says_so_without_personal_data(
    context: Context,
) -> None:
    person = _with_consent(context)
    with context.unit_of_work() as uow:
        context.minors.flag(uow, OFFICER, person.subject_id, reason=MinorReason.TOLD_BY_PERSON)
    with context.engine.connect() as connection:
        assert (
            connection.execute(
                select(accounts.c.subject_id).where(accounts.c.subject_id == person.subject_id)
            ).first()
            is None
        )
        assert (
            connection.execute(
                select(subject_keys.c.subject_id).where(
                    subject_keys.c.subject_id == person.subject_id
                )
            ).first()
            is None
        )  # crypto-shredded
        tombstone = connection.execute(
            select(subjects.c.minor, subjects.c.erased_at).where(subjects.c.id == person.subject_id)
        ).one()
        held = connection.execute(
            select(consent_events.c.id).where(consent_events.c.subject_id == person.subject_id)
        ).all()
    assert tombstone.minor is True and tombstone.erased_at is not None
    # the consent's proof, its request and its confirmation: held by the registry (art. 7(1))
    assert len(held) == 2
    (flagged,) = _audit(context, "subject.minor_flagged")
    assert flagged["actor"] == "staff:1:privacy_officer"
    assert json.loads(str(flagged["detail"])) == {
        "activity": "minor_protection",
        "reason": "told_by_person",
    }
    (erased,) = _audit(context, "subject.erased")
    assert json.loads(str(erased["detail"]))["ground"] == "minor"
    assert erased["pseudonym"] == flagged["pseudonym"]
    for entry in (flagged, erased):
        text = json.dumps(entry)
        assert person.email not in text and "Pietje" not in text


def test_l47_a_legal_hold_keeps_the_flag_and_the_erasure_waits(context: Context) -> None:
    person = _with_consent(context)
    with context.engine.begin() as connection:
        connection.execute(
            update(subjects).where(subjects.c.id == person.subject_id).values(legal_hold=True)
        )
    with context.unit_of_work() as uow:
        outcome = context.minors.flag(
            uow, OFFICER, person.subject_id, reason=MinorReason.SEEN_IN_CONTACT
        )
    assert outcome.erasure is None and outcome.waits is not None
    allowed = _allowed(context, person.subject_id)
    assert "marketing_email" not in allowed and "account" not in allowed
    assert "legal_claims" in allowed  # the hold's own purpose, as under restriction
    assert _audit(context, "subject.erased") == []


@pytest.mark.parametrize(
    ("birth_date", "flagged"), [(date(2011, 11, 27), True), (date(2010, 11, 26), False)]
)
def test_l47_a_birth_date_under_16_flags_the_account(
    context: Context, birth_date: date, flagged: bool
) -> None:
    # the fixture's clock: 26 November 2026; born 27 November 2011 is 14, 2010-11-26 is 16
    person = customer(context)
    with context.unit_of_work() as uow:
        outcome = context.minors.birth_date_given(uow, OFFICER, person.subject_id, birth_date)
    assert (outcome is not None) is flagged
    assert bool(_audit(context, "subject.minor_flagged")) is flagged
    if outcome is not None:
        (entry,) = _audit(context, "subject.minor_flagged")
        assert json.loads(str(entry["detail"]))["reason"] == "birth_date"


# --- the console -----------------------------------------------------------------------------


def _pseudonym(context: Context, subject_id: int) -> str:
    with context.engine.connect() as connection:
        return str(
            connection.execute(
                select(subjects.c.pseudonym).where(subjects.c.id == subject_id)
            ).scalar_one()
        )


def test_p18_support_flags_from_the_customer_page_with_a_reason_and_no_document(
    context: Context, clock: FixedClock
) -> None:
    person = _with_consent(context)
    pseudonym = _pseudonym(context, person.subject_id)
    path = f"/console/customers/{pseudonym}/minor"
    with TestClient(create_app(context), client=("145.97.0.1", 50000)) as console:
        console.cookies.set(STAFF_COOKIE, staff_session(context, clock, StaffRole.SUPPORT))
        looked_up = console.post(
            "/console/customers",
            data={"csrf_token": csrf_token(console, "/console/customers"), "email": person.email},
        )
        form = console.get(path)
        no_reason = console.post(path, data={"csrf_token": csrf_token(console, path)})
        done = console.post(
            path, data={"csrf_token": csrf_token(console, path), "reason": "told_by_person"}
        )
    assert f'href="{path}"' in looked_up.text
    assert form.status_code == 200
    assert 'name="reason"' in form.text and 'type="file"' not in form.text
    assert no_reason.status_code == 422
    assert re.search(r'id="console-minor-reason-error"|field-invalid', no_reason.text)
    assert done.status_code == 200 and 'id="minor-flagged"' in done.text
    assert _allowed(context, person.subject_id) == LAW_COMPELLED


@pytest.mark.parametrize("role", [StaffRole.MARKETING, StaffRole.FRAUD, StaffRole.ADMINISTRATOR])
def test_p18_other_roles_may_not_flag(context: Context, clock: FixedClock, role: StaffRole) -> None:
    person = customer(context)
    path = f"/console/customers/{_pseudonym(context, person.subject_id)}/minor"
    with TestClient(create_app(context), client=("145.97.0.1", 50000)) as console:
        console.cookies.set(STAFF_COOKIE, staff_session(context, clock, role))
        response = console.post(
            path, data={"csrf_token": csrf_token(console), "reason": "told_by_person"}
        )
    assert response.status_code == 403
    assert _audit(context, "subject.minor_flagged") == []
