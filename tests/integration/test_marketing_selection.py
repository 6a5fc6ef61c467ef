"""The marketing selection (issue 10 item 4; P4, LEGAL L13, L15, L17): a hand-built population
where the test knows who must be in; the selection runs through the guard and the access log,
and the marketing store holds no IP address."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from tests.factories import Customer, confirm_consents, customer

from privaat.bootstrap import Context
from privaat.domain.marketing import AudienceFilter, parse_filters
from privaat.domain.principal import DataSubject, StaffMember, StaffRole
from privaat.services.consents import ConsentMethod, Evidence
from privaat.services.errors import InvalidField
from privaat.store import tables_marketing
from privaat.store.registry import personal_columns
from privaat.store.tables import access_log, accounts, consent_events, restrictions, subjects

MARKETER = StaffMember(staff_id=7, role=StaffRole.MARKETING)
NL_IP = "145.97.39.155"  # a Dutch address in the GeoIP data shipped with geoip2fast


def opted_in(context: Context, **fields: object) -> Customer:
    person = customer(context, **fields)
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


def audience(context: Context, **filters: str) -> set[int]:
    wanted = parse_filters(filters.items())
    with context.unit_of_work() as uow:
        return set(context.marketing.audience(uow, MARKETER, wanted).subject_ids)


def set_row(context: Context, table: object, subject_id: int, **values: object) -> None:
    column = table.c.subject_id if table is not subjects else table.c.id  # type: ignore[attr-defined]
    with context.engine.begin() as connection:
        connection.execute(update(table).where(column == subject_id).values(**values))  # type: ignore[arg-type]


@pytest.fixture
def population(context: Context) -> dict[str, int]:
    """One person per rule, and one who passes them all."""
    people: dict[str, int] = {}
    people["in"] = opted_in(context).subject_id
    people["never_asked"] = customer(context).subject_id
    withdrawn = opted_in(context)
    with context.unit_of_work() as uow:
        context.consents.withdraw(
            uow,
            withdrawn.principal,
            withdrawn.subject_id,
            "marketing_email",
            method=ConsentMethod.PRIVACY_CENTRE,
            evidence=Evidence.none(),
        )
    people["withdrawn"] = withdrawn.subject_id
    objector = opted_in(context)
    with context.unit_of_work() as uow:
        context.objections.object(
            uow, objector.principal, objector.subject_id, "marketing_selection"
        )
    people["objected"] = objector.subject_id
    people["restricted"] = opted_in(context).subject_id
    set_row(context, subjects, people["restricted"], restricted=True)
    scoped = opted_in(context).subject_id
    with context.engine.begin() as connection:
        connection.execute(
            restrictions.insert().values(
                subject_id=scoped, activity="marketing_email", at=context.clock.now()
            )
        )
    set_row(context, subjects, scoped, restriction_scoped=True)
    people["restricted_sending"] = scoped
    people["closed"] = opted_in(context).subject_id
    set_row(context, accounts, people["closed"], status="closed", closed_at=context.clock.now())
    people["minor"] = opted_in(context).subject_id
    set_row(context, subjects, people["minor"], minor=True)
    people["stale"] = opted_in(context).subject_id
    set_row(context, consent_events, people["stale"], text_sha256="0" * 64)
    people["expired"] = opted_in(context).subject_id
    set_row(
        context,
        consent_events,
        people["expired"],
        expires_at=context.clock.now() - timedelta(days=1),
    )
    return people


def test_l13_only_a_live_opt_in_without_objection_restriction_closure_or_minor_flag_is_in(
    context: Context, population: dict[str, int]
) -> None:
    assert audience(context) == {population["in"]}


def test_l15_an_objection_drops_the_person_from_every_audience_whatever_the_filter(
    context: Context, population: dict[str, int]
) -> None:
    objector = population["objected"]
    with context.unit_of_work() as uow:
        context.preferences.update(
            uow, DataSubject(objector), objector, topics=["hosting"], language="nl", channels=[]
        )
    for filters in ({}, {"topic": "hosting"}, {"language": "nl"}, {"channel": "email"}):
        assert objector not in audience(context, **filters), filters


def test_p4_topics_language_services_and_country_target_within_the_admitted(
    context: Context,
) -> None:
    hosting, voip = opted_in(context), opted_in(context, language="en")
    with context.unit_of_work() as uow:
        context.preferences.update(
            uow,
            hosting.principal,
            hosting.subject_id,
            topics=["hosting"],
            language="nl",
            channels=["email"],
        )
        context.preferences.update(
            uow,
            voip.principal,
            voip.subject_id,
            topics=["voip", "apps"],
            language="en",
            channels=["email"],
        )
        with uow.writing() as connection:
            context.preferences.add_service(
                connection, MARKETER, voip.subject_id, "voip", since=context.clock.now()
            )
            assert context.logins is not None
            context.logins.record(
                connection, hosting.principal, hosting.subject_id, ip=NL_IP, device_hash=b"d" * 32
            )
    assert audience(context, topic="hosting") == {hosting.subject_id}
    assert audience(context, topic="voip,hosting") == {hosting.subject_id, voip.subject_id}
    assert audience(context, language="en") == {voip.subject_id}
    assert audience(context, service="voip") == {voip.subject_id}
    assert audience(context, country="nl") == {hosting.subject_id}
    assert audience(context, country="DE") == set()
    assert audience(context, topic="hosting", language="en") == set()


def test_p4_the_selection_is_access_logged_per_subject_and_previews_initials_only(
    context: Context,
) -> None:
    person = opted_in(context, name="Anna de Vries")
    with context.unit_of_work() as uow:
        result = context.marketing.audience(uow, MARKETER, AudienceFilter())
    assert result.count == 1 and result.subject_ids == (person.subject_id,)
    assert [m.initials for m in result.preview] == ["A.D.V."]
    with context.engine.connect() as connection:
        logged = connection.execute(
            select(func.count())
            .select_from(access_log)
            .where(
                access_log.c.activity == "marketing_selection",
                access_log.c.actor == MARKETER.actor,
            )
        ).scalar_one()
    assert logged >= 1  # the selection's own entry (the preview adds one more)


def test_p4_an_unknown_topic_in_a_filter_is_named(context: Context) -> None:
    with context.unit_of_work() as uow, pytest.raises(InvalidField, match="unknown topic 'golf'"):
        context.marketing.audience(uow, MARKETER, parse_filters([("topic", "golf")]))


def test_l17_no_column_of_the_marketing_store_can_hold_an_ip_address(context: Context) -> None:
    person = opted_in(context)
    with context.unit_of_work() as uow, uow.writing() as connection:
        assert context.logins is not None
        context.logins.record(
            connection, person.principal, person.subject_id, ip=NL_IP, device_hash=b"e" * 32
        )
    marketing_tables = [
        table
        for name in tables_marketing.__all__
        if hasattr(table := getattr(tables_marketing, name), "columns")
    ]
    assert {t.name for t in marketing_tables} >= {"marketing_profiles", "marketing_interests"}
    with context.engine.connect() as connection:
        for table in marketing_tables:
            for column in table.columns:
                assert "ip" not in column.name.split("_"), f"{table.name}.{column.name}"
            for column, declared in personal_columns(table):
                assert declared.category != "ip_address", f"{table.name}.{column.name}"
            for row in connection.execute(select(table)).all():
                for value in row:
                    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
                    assert NL_IP not in text and "145.97.39" not in text
                    with pytest.raises(ValueError):
                        ipaddress.ip_address(text)
        assert (
            connection.execute(
                select(func.count()).select_from(tables_marketing.marketing_profiles)
            ).scalar_one()
            == 1
        )  # the log-in's location reached the projection, as hashes
