"""Issue 4 item 6 end to end: the guard's legal corrections hold through the enforcement
seam, with the subject's state read from the database (consents, objections, restrictions)."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, update
from tests.factories import Customer, customer

from privaat.bootstrap import Context
from privaat.domain.errors import AccessDenied
from privaat.domain.guard import DenyReason
from privaat.domain.principal import StaffMember, StaffRole, SystemJob
from privaat.domain.subject import DIRECT_MARKETING
from privaat.policy.schema import consent_text_sha256
from privaat.store.tables import consent_events, objections, restrictions, subjects

MARKETING = SystemJob("marketing")


def give_consent(context: Context, person: Customer, activity: str, lang: str = "nl") -> None:
    consent = context.policy.activity(activity).consent
    assert consent is not None
    shown = consent.request.in_language(lang)
    with context.engine.begin() as connection:
        connection.execute(
            insert(consent_events).values(
                subject_id=person.subject_id,
                activity=activity,
                given=True,
                consent_version=consent.version,
                text_sha256=consent_text_sha256(shown),
                channel="privacy_centre",
                at=context.clock.now(),
            )
        )


def object_to(context: Context, person: Customer, key: str, grounds: str | None = None) -> None:
    with context.engine.begin() as connection:
        connection.execute(
            insert(objections).values(
                subject_id=person.subject_id,
                activity=key,
                at=context.clock.now(),
                compelling_grounds=grounds,
            )
        )


def reason(context: Context, person: Customer, activity: str) -> DenyReason | None:
    with context.unit_of_work() as uow, uow.reading() as connection:
        try:
            context.access.open(connection, MARKETING, person.subject_id, activity)
        except AccessDenied as denied:
            return denied.decision.reason
    return None


def test_l13_marketing_selection_needs_a_live_marketing_email_consent(context: Context) -> None:
    jan = customer(context)
    assert reason(context, jan, "marketing_selection") is DenyReason.REQUIRED_CONSENT_MISSING
    give_consent(context, jan, "marketing_email")
    assert reason(context, jan, "marketing_email") is None
    assert reason(context, jan, "marketing_selection") is None


def test_l86_a_consent_given_for_another_text_is_stale(context: Context) -> None:
    jan = customer(context)
    with context.engine.begin() as connection:
        connection.execute(
            insert(consent_events).values(
                subject_id=jan.subject_id,
                activity="marketing_email",
                given=True,
                consent_version=1,
                text_sha256=consent_text_sha256("Ja, stuur mij aanbiedingen en die van partners"),
                channel="sign_up_form",
                at=context.clock.now(),
            )
        )
    assert reason(context, jan, "marketing_email") is DenyReason.CONSENT_STALE


@pytest.mark.parametrize(
    "objected_to", ["marketing_selection", "marketing_email", DIRECT_MARKETING]
)
def test_l15_l85_an_objection_to_any_direct_marketing_stops_all_of_it(
    context: Context, objected_to: str
) -> None:
    jan = customer(context)
    give_consent(context, jan, "marketing_email")
    object_to(context, jan, objected_to)
    assert reason(context, jan, "marketing_email") is DenyReason.OBJECTED
    assert reason(context, jan, "marketing_selection") is DenyReason.OBJECTED


def test_l26_a_refusal_of_call_recording_is_final_whatever_grounds_are_recorded(
    context: Context,
) -> None:
    jan = customer(context)
    object_to(context, jan, "call_recording", grounds="training of new staff")
    assert reason(context, jan, "call_recording") is DenyReason.OBJECTED


def test_l87_a_contested_phone_number_is_withheld_and_the_account_still_works(
    context: Context,
) -> None:
    jan = customer(context, phone="+31612345678", city="Delft")
    with context.engine.begin() as connection:
        connection.execute(
            insert(restrictions).values(
                subject_id=jan.subject_id, category="phone_number", at=context.clock.now()
            )
        )
        connection.execute(
            update(subjects).where(subjects.c.id == jan.subject_id).values(restriction_scoped=True)
        )
    with context.unit_of_work() as uow:
        profile = context.accounts.read_profile(uow, jan.principal, jan.subject_id)
        # and the person still logs in
        context.sessions.log_in(
            uow, email=jan.email, password=jan.password, ip="145.97.0.1", user_agent="x"
        )
    assert profile.phone is None and profile.restricted_fields == ("phone",)
    assert profile.city == "Delft" and profile.email == jan.email
    # storage and legal claims may still use it (art. 18(2)): the officer's legal-claims read
    officer = StaffMember(1, StaffRole.PRIVACY_OFFICER)
    with context.unit_of_work() as uow, uow.reading() as connection:
        opened = context.access.open(connection, officer, jan.subject_id, "legal_claims")
        assert not opened.withholds("accounts.phone")
