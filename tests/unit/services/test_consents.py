"""The consent ledger at the service tier (issue 10 item 1): P4, P11, P13, P14, P16, P17;
LEGAL L7 (replay), L8 (never pre-ticked), L9 (controls from the policy), L10 (withdrawing
no harder than giving), L11 (a withdrawal stops the activity), L12 (none needed)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from tests.factories import confirm_consents, customer

from privaat.bootstrap import Context
from privaat.domain.activities import CONSENT_RECORDS
from privaat.domain.clock import FixedClock
from privaat.domain.consent_ledger import LedgerEntry, replay
from privaat.domain.principal import DataSubject, StaffMember, StaffRole
from privaat.domain.subject import ConsentStatus
from privaat.policy.schema import consent_text_sha256
from privaat.services.consents import MAX_USER_AGENT, ConsentMethod, ConsentRecord, Evidence
from privaat.services.errors import Conflict, InvalidField, NotPermitted
from privaat.services.subject_state import load_state
from privaat.store.tables import audit_log, consent_events

OFFICER = StaffMember(3, StaffRole.PRIVACY_OFFICER)
WEB = Evidence(ip="145.97.12.34", user_agent="Mozilla/5.0 (X11; Linux x86_64)")
CENTRE = ConsentMethod.PRIVACY_CENTRE


def ledger_rows(services: Context) -> int:
    with services.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(consent_events)).scalar_one()


def allowed(services: Context, subject_id: int, activity: str) -> bool:
    with services.unit_of_work() as uow, uow.reading() as connection:
        return services.access.decide(connection, OFFICER, subject_id, activity).allowed


def give(services: Context, subject_id: int, activity: str, **kwargs: object) -> ConsentRecord:
    options: dict[str, object] = {"lang": "nl", "method": CENTRE, "evidence": WEB, **kwargs}
    with services.unit_of_work() as uow:
        return services.consents.give(
            uow,
            DataSubject(subject_id),
            subject_id,
            activity,
            **options,  # type: ignore[arg-type]
        )


def withdraw(services: Context, subject_id: int, activity: str) -> ConsentRecord:
    with services.unit_of_work() as uow:
        return services.consents.withdraw(
            uow, DataSubject(subject_id), subject_id, activity, method=CENTRE, evidence=WEB
        )


def test_l9_choices_list_every_consent_based_activity_in_file_order_none_given(
    services: Context,
) -> None:
    jan = customer(services)
    with services.unit_of_work() as uow:
        choices = services.consents.choices(uow, jan.principal, jan.subject_id)
    expected = [a.id for a in services.policy.activities if a.legal_basis.value == "consent"]
    assert [c.activity for c in choices] == expected
    assert "marketing_email" in expected and "account" not in expected
    # L8: nothing is given before the person gives it
    assert all(c.current is None and not c.given for c in choices)


def test_p4_l11_give_then_withdraw_and_the_guard_follows(services: Context) -> None:
    jan = customer(services)
    assert not allowed(services, jan.subject_id, "marketing_email")
    record = give(services, jan.subject_id, "marketing_email")
    request = services.policy.activity("marketing_email").consent
    assert request is not None
    # issue 14 item 5: marketing e-mail is a double opt-in; asked is not given
    assert record.requested and not record.given and record.method is CENTRE
    # art. 7(1), L86: the hash of the Dutch text that was shown, the versions it belongs to
    assert record.text_sha256 == consent_text_sha256(request.request.nl)
    assert record.policy_version == services.policy.policy.version
    assert record.lang == "nl"
    assert not allowed(services, jan.subject_id, "marketing_email")
    assert confirm_consents(services, jan.email) == 1
    assert allowed(services, jan.subject_id, "marketing_email")
    # L13: the selection that needs this consent runs now too
    assert allowed(services, jan.subject_id, "marketing_selection")
    withdrawn = withdraw(services, jan.subject_id, "marketing_email")
    assert not withdrawn.given
    assert not allowed(services, jan.subject_id, "marketing_email")
    assert not allowed(services, jan.subject_id, "marketing_selection")
    assert ledger_rows(services) == 3  # requested, confirmed, withdrawn


def test_a_duplicate_give_or_withdrawal_writes_nothing(services: Context) -> None:
    jan = customer(services)
    first = give(services, jan.subject_id, "marketing_email")
    again = give(services, jan.subject_id, "marketing_email")
    assert again == first and ledger_rows(services) == 1
    withdraw(services, jan.subject_id, "marketing_email")
    withdraw(services, jan.subject_id, "marketing_email")
    assert ledger_rows(services) == 2


def test_a_give_in_another_language_is_a_new_record_for_that_text(services: Context) -> None:
    jan = customer(services)
    give(services, jan.subject_id, "marketing_email", lang="nl")
    english = give(services, jan.subject_id, "marketing_email", lang="en")
    request = services.policy.activity("marketing_email").consent
    assert request is not None
    assert english.text_sha256 == consent_text_sha256(request.request.en)
    assert ledger_rows(services) == 2


def test_a_withdrawal_without_any_consent_is_a_conflict_and_writes_nothing(
    services: Context,
) -> None:
    jan = customer(services)
    with pytest.raises(Conflict, match="never given"):
        withdraw(services, jan.subject_id, "marketing_email")
    assert ledger_rows(services) == 0


@pytest.mark.parametrize(
    ("activity", "message"),
    [("no_such_activity", "declares no activity"), ("account", "not based on consent")],
)
def test_an_unknown_or_non_consent_activity_is_invalid_and_nothing_is_written(
    services: Context, activity: str, message: str
) -> None:
    jan = customer(services)
    with pytest.raises(InvalidField, match=message) as error:
        give(services, jan.subject_id, activity)
    assert error.value.field == "activity"
    with pytest.raises(InvalidField):
        withdraw(services, jan.subject_id, activity)
    assert ledger_rows(services) == 0


def test_l29_a_time_limited_grant_expires_by_the_policys_period(
    services: Context, clock: FixedClock
) -> None:
    jan = customer(services)
    record = give(services, jan.subject_id, "support_account_access")
    assert record.expires_at == clock.now() + timedelta(days=7)
    assert allowed(services, jan.subject_id, "support_account_access")
    clock.advance(timedelta(days=7))
    assert not allowed(services, jan.subject_id, "support_account_access")
    with services.unit_of_work() as uow:
        choices = services.consents.choices(uow, jan.principal, jan.subject_id)
    support = next(c for c in choices if c.activity == "support_account_access")
    assert support.status is ConsentStatus.GIVEN and support.expired and not support.given


def test_evidence_is_encrypted_under_the_hold_key_with_the_ip_truncated(
    services: Context,
) -> None:
    jan = customer(services)
    long_agent = "Mozilla/5.0 " + "x" * 1000
    give(
        services,
        jan.subject_id,
        "marketing_email",
        evidence=Evidence(ip="145.97.12.34", user_agent=long_agent),
    )
    with services.engine.connect() as connection:
        blob = connection.execute(select(consent_events.c.evidence_enc)).scalar_one()
    assert b"145.97" not in blob and b"Mozilla" not in blob  # ciphertext, not clear text
    with services.unit_of_work() as uow, uow.reading() as connection:
        opened = services.access.open_held(connection, OFFICER, jan.subject_id, CONSENT_RECORDS)
        sealed = json.loads(opened.cipher.decrypt("consent_events.evidence_enc", blob))
    assert sealed["ip"] == "145.97.12.0/24"  # L23: the network part only
    assert sealed["user_agent"] == long_agent[:MAX_USER_AGENT]
    assert len(sealed["user_agent"]) == 256


def test_an_ipv6_address_keeps_its_48_bit_prefix(services: Context) -> None:
    jan = customer(services)
    give(
        services,
        jan.subject_id,
        "marketing_email",
        evidence=Evidence(ip="2001:db8:1234:5678::1", user_agent=None),
    )
    with services.engine.connect() as connection:
        blob = connection.execute(select(consent_events.c.evidence_enc)).scalar_one()
    with services.unit_of_work() as uow, uow.reading() as connection:
        opened = services.access.open_held(connection, OFFICER, jan.subject_id, CONSENT_RECORDS)
        sealed = json.loads(opened.cipher.decrypt("consent_events.evidence_enc", blob))
    assert sealed["ip"] == "2001:db8:1234::/48" and sealed["user_agent"] is None


def test_the_audit_entry_names_the_activity_and_method_but_no_personal_data(
    services: Context,
) -> None:
    jan = customer(services)
    give(services, jan.subject_id, "email_engagement")
    withdraw(services, jan.subject_id, "email_engagement")
    give(services, jan.subject_id, "marketing_email")
    confirm_consents(services, jan.email)
    with services.engine.connect() as connection:
        rows = connection.execute(
            select(audit_log).where(audit_log.c.action.like("consent.%")).order_by(audit_log.c.seq)
        ).all()
    assert [row.action for row in rows] == [
        "consent.given",
        "consent.withdrawn",
        "consent.requested",  # issue 14 item 5: a double opt-in's two steps
        "consent.confirmed",
    ]
    text = " ".join(str(value) for row in rows for value in row)
    assert "email_engagement" in text and "privacy_centre" in text
    assert "marketing_email" in text and "email_link" in text
    for personal in (jan.email, "145.97", "Mozilla"):
        assert personal not in text


def test_another_person_cannot_give_or_read_for_a_subject(services: Context) -> None:
    jan, piet = customer(services), customer(services)
    with services.unit_of_work() as uow, pytest.raises(NotPermitted):
        services.consents.give(
            uow,
            piet.principal,
            jan.subject_id,
            "marketing_email",
            lang="nl",
            method=CENTRE,
            evidence=WEB,
        )
    with services.unit_of_work() as uow, pytest.raises(NotPermitted):
        services.consents.history(uow, piet.principal, jan.subject_id)
    assert ledger_rows(services) == 0


ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["marketing_email", "email_engagement", "group_transfer"]),
        st.booleans(),
        st.sampled_from(["nl", "en"]),
    ),
    max_size=8,
)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(actions=ACTIONS)
def test_l7_replaying_the_ledger_rebuilds_what_the_service_and_the_guard_report(
    services: Context, actions: list[tuple[str, bool, str]]
) -> None:
    jan = customer(services)
    for activity, giving, lang in actions:
        if giving:
            give(services, jan.subject_id, activity, lang=lang)
        else:
            try:
                withdraw(services, jan.subject_id, activity)
            except Conflict:
                pass  # never given: nothing written
    with services.unit_of_work() as uow:
        history = services.consents.history(uow, jan.principal, jan.subject_id)
        choices = services.consents.choices(uow, jan.principal, jan.subject_id)
    replayed = replay(
        LedgerEntry(r.id, r.activity, r.given, r.at, r.text_sha256, r.expires_at, r.stage)
        for r in history
    )
    by_activity = {c.activity: c for c in choices}
    for activity, state in replayed.items():
        assert by_activity[activity].status is state.status
    for choice in choices:
        if choice.activity not in replayed:
            assert choice.current is None
    # the guard reads the store's newest row per activity: the same answer as the replay
    with services.unit_of_work() as uow, uow.reading() as connection:
        record = {
            "subject_id": jan.subject_id,
            "status": "active",
            "restricted": False,
            "restriction_scoped": False,
            "minor": False,
            "legal_hold": False,
        }
        guard_state = load_state(connection, services.access._guard, record, "marketing_selection")  # noqa: SLF001
    if "marketing_email" in replayed:
        assert guard_state.consents["marketing_email"].status is replayed["marketing_email"].status
    else:
        assert "marketing_email" not in guard_state.consents


def test_l12_sign_up_records_the_ticked_consents_in_its_own_transaction(
    services: Context,
) -> None:
    jan = customer(services, consents=("marketing_email", "social_plugins"), language="en")
    with services.engine.connect() as connection:
        rows = connection.execute(select(consent_events).order_by(consent_events.c.id)).all()
    assert [(r.activity, r.channel, r.stage) for r in rows] == [
        ("marketing_email", "sign_up", "requested"),  # a double opt-in (issue 14 item 5)
        ("social_plugins", "sign_up", None),
        ("marketing_email", "email_link", "confirmed"),  # the factory opened the link
    ]
    request = services.policy.activity("marketing_email").consent
    assert request is not None
    assert rows[0].text_sha256 == consent_text_sha256(request.request.en)  # the text shown
    assert rows[2].text_sha256 == rows[0].text_sha256 and rows[2].lang == "en"
    assert allowed(services, jan.subject_id, "marketing_email")


def test_l86_sign_up_proves_the_text_in_the_language_of_the_page_read(
    services: Context,
) -> None:
    from tests.factories import sign_up_command

    command = sign_up_command(consents=("marketing_email",), language="nl")
    with services.unit_of_work() as uow:
        services.accounts.sign_up(uow, command, consent_language="en")
    with services.engine.connect() as connection:
        stored = connection.execute(select(consent_events.c.text_sha256)).scalar_one()
    request = services.policy.activity("marketing_email").consent
    assert request is not None
    assert stored == consent_text_sha256(request.request.en)


def test_l8_a_sign_up_with_a_bad_consent_id_stores_nothing(services: Context) -> None:
    from tests.factories import sign_up_command

    from privaat.store.tables import accounts

    command = sign_up_command(consents=("marketing_email", "account"))
    with services.unit_of_work() as uow, pytest.raises(InvalidField) as error:
        services.accounts.sign_up(uow, command)
    assert error.value.field == "consents"
    with services.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(accounts)).scalar_one() == 0
    assert ledger_rows(services) == 0


def test_l86_a_consent_to_an_earlier_text_is_stale_and_the_guard_refuses_it(
    services: Context, clock: FixedClock
) -> None:
    from privaat.bootstrap import bootstrap

    jan = customer(services)
    give(services, jan.subject_id, "marketing_email")
    confirm_consents(services, jan.email)
    activity = services.policy.activity("marketing_email")
    assert activity.consent is not None
    changed = activity.model_copy(
        update={
            "consent": activity.consent.model_copy(
                update={
                    "version": 2,
                    "request": activity.consent.request.model_copy(
                        update={"nl": activity.consent.request.nl + " Ook per sms."}
                    ),
                }
            )
        }
    )
    policy = services.policy.model_copy(
        update={
            "activities": tuple(
                changed if a.id == "marketing_email" else a for a in services.policy.activities
            )
        }
    )
    later = bootstrap(
        services.settings, clock=clock, engine=services.engine, policy=policy, run_migrations=False
    )
    try:
        with later.unit_of_work() as uow:
            choices = later.consents.choices(uow, jan.principal, jan.subject_id)
        marketing = next(c for c in choices if c.activity == "marketing_email")
        assert marketing.status is ConsentStatus.GIVEN and marketing.stale and not marketing.given
        with later.unit_of_work() as uow, uow.reading() as connection:
            assert not later.access.decide(
                connection, OFFICER, jan.subject_id, "marketing_email"
            ).allowed
        # asked again, for the new text: a new record, and it counts
        with later.unit_of_work() as uow:
            renewed = later.consents.give(
                uow,
                jan.principal,
                jan.subject_id,
                "marketing_email",
                lang="nl",
                method=CENTRE,
                evidence=WEB,
            )
        assert renewed.consent_version == 2 and renewed.requested
        assert confirm_consents(later, jan.email) == 1
        assert ledger_rows(services) == 4  # each consent asked, then confirmed
        with later.unit_of_work() as uow, uow.reading() as connection:
            assert later.access.decide(
                connection, OFFICER, jan.subject_id, "marketing_email"
            ).allowed
    finally:
        later.access_log.flush()


@pytest.mark.parametrize(
    "activity",
    [
        pytest.param("marketing_email", id="P4-marketing-email"),
        pytest.param("email_engagement", id="P11-engagement-tracking"),
        pytest.param("group_transfer", id="P13-group-transfer"),
        pytest.param("website_analytics", id="P14-P16-analytics"),
        pytest.param("social_plugins", id="P17-social-plugins"),
    ],
)
def test_p4_p11_p13_p14_p16_p17_each_consent_runs_only_while_given(
    services: Context, activity: str
) -> None:
    jan = customer(services)
    assert not allowed(services, jan.subject_id, activity)  # L8: nothing before a give
    if give(services, jan.subject_id, activity).requested:
        # a double opt-in (issue 14 item 5): nothing runs until the mailed link is opened
        assert not allowed(services, jan.subject_id, activity)
        assert confirm_consents(services, jan.email) == 1
    assert allowed(services, jan.subject_id, activity)
    withdraw(services, jan.subject_id, activity)
    assert not allowed(services, jan.subject_id, activity)  # L11: stops at once


def test_l7_the_policy_version_and_language_are_ledger_columns_and_old_rows_still_read(
    services: Context,
) -> None:
    jan = customer(services)
    give(services, jan.subject_id, "marketing_email", lang="en")
    with services.engine.connect() as connection:
        row = connection.execute(select(consent_events)).one()._mapping
    assert (row["policy_version"], row["lang"]) == (services.policy.policy.version, "en")
    # a row from before migration 0005 kept both inside its sealed evidence
    with services.unit_of_work() as uow, uow.writing() as connection:
        opened = services.access.open_held(connection, OFFICER, jan.subject_id, CONSENT_RECORDS)
        sealed = json.dumps({"ip": None, "user_agent": None, "lang": "nl", "policy_version": 7})
        connection.execute(
            consent_events.update().values(
                policy_version=None,
                lang=None,
                evidence_enc=opened.cipher.encrypt("consent_events.evidence_enc", sealed),
            )
        )
    with services.unit_of_work() as uow:
        (record,) = services.consents.history(uow, DataSubject(jan.subject_id), jan.subject_id)
    assert (record.policy_version, record.lang) == (7, "nl")
