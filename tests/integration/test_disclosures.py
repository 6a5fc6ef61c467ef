"""The disclosure register (P12, LEGAL L36) and its transfer check (P13, L37, L38) over a
real database: a ground and a recipient are mandatory, the release comes from the access
exporter cut to the scope and is sealed with its digest, the person's access export shows
the disclosure unless a legal bar applies until its end, an unlisted country is refused,
and a group company receives nothing without consent, nor after its withdrawal."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from tests.factories import Customer, customer
from tests.integration.test_shop_orders import check_out, subject_of

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.domain.disclosures import DisclosureRequest, DisclosureScope, LegalBar
from privaat.domain.errors import AccessDenied
from privaat.domain.guard import DenyReason
from privaat.domain.principal import DataSubject, StaffMember, StaffRole
from privaat.domain.transfers import TransferReason, TransferRefused
from privaat.services.consents import ConsentMethod, Evidence
from privaat.services.disclosures import DisclosureInvalid
from privaat.services.errors import NotPermitted
from privaat.services.subject_export import SubjectExport
from privaat.store.tables import audit_log
from privaat.store.tables_disclosures import disclosures

OFFICER = StaffMember(1, StaffRole.PRIVACY_OFFICER)


@pytest.fixture
def jan(context: Context) -> Customer:
    return customer(context)


def _order(jan: Customer, **changes: object) -> DisclosureRequest:
    fields: dict[str, object] = {
        "subject_id": jan.subject_id,
        "ground": "legal_order",
        "recipient": "police_and_justice",
        "requested_by": "Politie Eenheid Amsterdam, vordering art. 126nd Sv",
        "reference": "PL1300-2026-4711",
        "scope": DisclosureScope(categories=frozenset({"email_address"})),
    }
    fields.update(changes)
    return DisclosureRequest(**fields)  # type: ignore[arg-type]  # the test's own fields


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(disclosures)).scalar_one())


def _exported(context: Context, jan: Customer) -> list[dict[str, object]]:
    export = SubjectExport(access=context.access, clock=context.clock)
    with context.unit_of_work() as uow:
        data = export.collect(uow, DataSubject(jan.subject_id), jan.subject_id)
    part = data.part("disclosures")
    return [dict(row) for row in part.rows] if part else []


def _give_group_consent(context: Context, jan: Customer) -> None:
    with context.unit_of_work() as uow:
        context.consents.give(
            uow,
            jan.principal,
            jan.subject_id,
            "group_transfer",
            lang="en",
            method=ConsentMethod.PRIVACY_CENTRE,
            evidence=Evidence.none(),
        )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"ground": None}, "ground", id="no-ground"),
        pytest.param({"ground": "curiosity"}, "ground", id="unknown-ground"),
        pytest.param({"recipient": None}, "recipient", id="no-recipient"),
        pytest.param({"recipient": "a_journalist"}, "recipient", id="recipient-not-in-policy"),
        pytest.param(
            {"scope": DisclosureScope(categories=frozenset({"password"}))},
            "categories",
            id="category-the-activity-may-not-disclose",
        ),
    ],
)
def test_l36_p12_a_disclosure_without_ground_or_recipient_is_refused_and_nothing_recorded(
    context: Context, jan: Customer, engine: Engine, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(DisclosureInvalid) as refused, context.unit_of_work() as uow:
        context.disclosures.record(uow, OFFICER, _order(jan, **changes))
    assert field in refused.value.problems
    assert _count(engine) == 0


def test_l36_only_the_privacy_officer_records_a_disclosure(
    context: Context, jan: Customer, engine: Engine
) -> None:
    with pytest.raises(NotPermitted), context.unit_of_work() as uow:
        context.disclosures.record(uow, StaffMember(2, StaffRole.SUPPORT), _order(jan))
    assert _count(engine) == 0


def test_l36_a_legal_order_releases_the_scope_sealed_with_its_digest_and_an_audit_entry(
    context: Context, jan: Customer, engine: Engine
) -> None:
    with context.unit_of_work() as uow:
        disclosure_id = context.disclosures.record(uow, OFFICER, _order(jan))
    with context.unit_of_work() as uow:
        view = context.disclosures.show(uow, OFFICER, disclosure_id)
    assert view.released is not None
    released = json.loads(view.released)
    # only the e-mail address was asked for: the account's address, nothing of the password
    assert released["accounts"] == [{"email": jan.email, "email_verified": True}]
    assert "password" not in view.released
    assert view.released_digest == hashlib.sha256(view.released.encode()).hexdigest()
    assert {"accounts.email", "accounts.email_verified"} <= set(view.entry.handed_fields)
    assert (view.entry.ground, view.entry.recipient, view.entry.country) == (
        "legal_order",
        "police_and_justice",
        "NL",
    )
    assert view.requested_by == "Politie Eenheid Amsterdam, vordering art. 126nd Sv"
    assert view.reference == "PL1300-2026-4711"
    with engine.connect() as connection:
        stored = connection.execute(select(disclosures)).one()
        entry = connection.execute(
            select(audit_log).where(audit_log.c.action == "disclosures.recorded")
        ).one()
    # sealed under the subject's key: neither the address nor who asked is stored in clear
    assert jan.email.encode() not in stored.released_enc
    assert b"Politie" not in stored.requested_by_enc
    assert jan.email not in entry.detail and "Politie" not in entry.detail
    assert view.released_digest in entry.detail


def test_p12_l36_the_access_export_shows_a_disclosure(context: Context, jan: Customer) -> None:
    with context.unit_of_work() as uow:
        context.disclosures.record(uow, OFFICER, _order(jan))
    (row,) = _exported(context, jan)
    assert row["ground"] == "legal_order"
    assert row["recipient"] == "police_and_justice"
    assert row["requested_by"] == "Politie Eenheid Amsterdam, vordering art. 126nd Sv"
    assert "accounts.email" in str(row["handed_fields"]).split(",")
    assert row["disclosed_at"] == "2026-11-26T09:30:00+00:00"
    assert "released" not in row  # what was handed is named, not copied again


def test_l36_a_legal_bar_hides_the_disclosure_from_the_export_until_its_end_date(
    context: Context, jan: Customer, clock: FixedClock
) -> None:
    bar = LegalBar(until=date(2026, 12, 26), reason="Gagging order of the public prosecutor")
    with context.unit_of_work() as uow:
        context.disclosures.record(uow, OFFICER, _order(jan, bar=bar))
    assert _exported(context, jan) == []
    clock.advance(timedelta(days=29))  # 25 December: the bar still holds
    assert _exported(context, jan) == []
    clock.advance(timedelta(days=1))  # 26 December: the bar's end date
    assert [row["ground"] for row in _exported(context, jan)] == ["legal_order"]


def test_l37_a_disclosure_to_an_unlisted_country_is_refused_and_nothing_recorded(
    context: Context, jan: Customer, engine: Engine
) -> None:
    with pytest.raises(TransferRefused) as refused, context.unit_of_work() as uow:
        context.disclosures.record(uow, OFFICER, _order(jan, country="CN"))
    assert refused.value.decision.reason is TransferReason.NO_TRANSFER_BASIS
    assert "CN" in str(refused.value) and "'police_and_justice'" in str(refused.value)
    assert _count(engine) == 0


def test_p13_l38_a_group_company_transfer_needs_consent_and_stops_after_withdrawal(
    context: Context, jan: Customer, engine: Engine
) -> None:
    to_group = _order(
        jan,
        ground="consent",
        recipient="flexibelt_group",
        requested_by="Flexibelt Apps B.V.",
        scope=DisclosureScope(),
    )
    with pytest.raises(AccessDenied) as refused, context.unit_of_work() as uow:
        context.disclosures.record(uow, OFFICER, to_group)
    assert refused.value.decision.reason is DenyReason.NO_CONSENT
    # a legal order to the group company still needs the person's consent (P13)
    with pytest.raises(TransferRefused) as needs, context.unit_of_work() as uow:
        context.disclosures.record(
            uow, OFFICER, _order(jan, recipient="flexibelt_group", requested_by="Flexibelt Apps")
        )
    assert needs.value.decision.reason is TransferReason.NO_GROUP_CONSENT
    _give_group_consent(context, jan)
    with context.unit_of_work() as uow:
        context.disclosures.record(uow, OFFICER, to_group)
    assert _count(engine) == 1
    with context.unit_of_work() as uow:
        context.consents.withdraw(
            uow,
            jan.principal,
            jan.subject_id,
            "group_transfer",
            method=ConsentMethod.PRIVACY_CENTRE,
            evidence=Evidence.none(),
        )
    with pytest.raises(AccessDenied) as stopped, context.unit_of_work() as uow:
        context.disclosures.record(uow, OFFICER, to_group)
    assert stopped.value.decision.reason is DenyReason.CONSENT_WITHDRAWN
    assert _count(engine) == 1


def test_p12_the_register_lists_each_disclosure_newest_first(
    context: Context, jan: Customer, clock: FixedClock
) -> None:
    with context.unit_of_work() as uow:
        first = context.disclosures.record(uow, OFFICER, _order(jan))
    clock.advance(timedelta(hours=1))
    with context.unit_of_work() as uow:
        second = context.disclosures.record(
            uow, OFFICER, _order(jan, ground="legal_claims", recipient="legal_advisers")
        )
    with context.unit_of_work() as uow:
        entries = context.disclosures.register(uow, OFFICER)
    assert [(e.kind, e.id, e.ground) for e in entries] == [
        ("disclosure", second, "legal_claims"),
        ("disclosure", first, "legal_order"),
    ]


def test_l36_the_log_outlives_an_erasure_while_the_release_is_shredded(
    context: Context, jan: Customer, engine: Engine
) -> None:
    with context.unit_of_work() as uow:
        disclosure_id = context.disclosures.record(uow, OFFICER, _order(jan))
    with context.unit_of_work() as uow:
        context.erasure.erase(uow, OFFICER, jan.subject_id, ground="art. 17(1)(a)")
    with context.unit_of_work() as uow:
        (entry,) = context.disclosures.register(uow, OFFICER)
    # who got what, when, on what ground stays (five years); the data key is gone
    assert (entry.id, entry.ground, entry.recipient) == (
        disclosure_id,
        "legal_order",
        "police_and_justice",
    )
    with context.unit_of_work() as uow:
        view = context.disclosures.show(uow, OFFICER, disclosure_id)
    assert view.released is None and view.requested_by is None


def test_l36_the_scopes_window_releases_only_the_records_of_its_period(
    context: Context, clock: FixedClock
) -> None:
    placed = check_out(context)  # two USB headsets at EUR 49.50, placed on 26 November 2026
    guest = subject_of(context, placed.reference)
    orders = frozenset({"orders"})

    def released(start: datetime, end: datetime) -> dict[str, object]:
        scope = DisclosureScope(categories=orders, start=start, end=end)
        request = DisclosureRequest(
            subject_id=guest,
            ground="legal_order",
            recipient="police_and_justice",
            requested_by="Politie",
            scope=scope,
        )
        with context.unit_of_work() as uow:
            disclosure_id = context.disclosures.record(uow, OFFICER, request)
        with context.unit_of_work() as uow:
            text = context.disclosures.show(uow, OFFICER, disclosure_id).released
        assert text is not None
        return dict(json.loads(text))

    october = released(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
    november = released(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    assert october == {}
    (order,) = november["shop_orders"]  # type: ignore[misc]  # JSON of the release
    assert (order["status"], order["total_cents"], order["guest"]) == ("placed", 9900, True)
    assert november["shop_order_lines"] == [
        {"price_cents": 4950, "product": "headset-usb", "quantity": 2}
    ]
