"""Publishing a policy version (issue 13 item 3; P19, LEGAL L48-L50): stored with its dates,
announced by e-mail to every active account and in the centre, enforced only from its
effective date; consents to a changed text are stale, a new consent activity starts empty;
every version and the changes between two stay readable."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Engine, Table, create_engine, func, select
from tests.factories import confirm_consents, customer

from privaat.bootstrap import Context, bootstrap
from privaat.cli import serve as serve_cli
from privaat.cli.serve import VersionWatch
from privaat.domain.clock import FixedClock
from privaat.domain.guard import DenyReason
from privaat.domain.principal import DataSubject
from privaat.policy.loader import load_policy_file
from privaat.policy.schema import Policy, Text
from privaat.services.consents import ConsentMethod, Evidence
from privaat.services.policy_publishing import CHANGE_MAIL, PublishRefused
from privaat.settings import Settings
from privaat.store.tables import consent_events, outbox, policy_versions
from privaat.store.tables_policy_notices import policy_publications
from privaat.web.app import create_app

MARKETING, LOCATION, NEW = "marketing_email", "device_precise_location", "partner_offers"
PUBLISHED_ON = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # a day after v1 (26 November)
EFFECTIVE = date(2026, 12, 27)  # 30 days later: PRIVAAT_POLICY_NOTICE_DAYS' default


def _v2(v1: Policy, *, new_activity: bool = True) -> Policy:
    """v1 with the marketing consent asked in other words (consent v2) and, by default, a new
    consent-based activity: both material."""
    activities = []
    for activity in v1.activities:
        if activity.id == MARKETING:
            assert activity.consent is not None
            consent = activity.consent.model_copy(
                update={
                    "version": 2,
                    "request": Text(
                        nl="Ja, mail mij over nieuwe producten.",
                        en="Yes, e-mail me about new products.",
                    ),
                }
            )
            activities.append(activity.model_copy(update={"consent": consent}))
            if new_activity:
                activities.append(activity.model_copy(update={"id": NEW}))
        else:
            activities.append(activity)
    meta = v1.policy.model_copy(update={"version": 2})
    return v1.model_copy(update={"activities": tuple(activities), "policy": meta})


def _start(settings: Settings, engine: Engine, clock: FixedClock, policy: Policy) -> Context:
    return bootstrap(
        settings,
        clock=clock,
        engine=engine,
        policy=policy,
        run_migrations=False,
        record_policy_version=True,
    )


@dataclass
class Published:
    context: Context  # started on v1, v2 published through it
    v1: Policy
    v2: Policy
    jan: int  # Dutch, consents to marketing and location under v1
    john: int  # English, the same


def _consent(context: Context, subject_id: int, activity: str) -> None:
    with context.unit_of_work() as uow:
        context.consents.give(
            uow,
            DataSubject(subject_id),
            subject_id,
            activity,
            lang=None,
            method=ConsentMethod.PRIVACY_CENTRE,
            evidence=Evidence.none(),
        )
    confirm_consents(context)  # a double opt-in (issue 14 item 5): the link opened


@pytest.fixture
def published(settings: Settings, engine: Engine, clock: FixedClock) -> Iterator[Published]:
    v1 = load_policy_file(settings.policy_file)
    context = _start(settings, engine, clock, v1)
    jan = customer(context).subject_id
    john = customer(context, language="en").subject_id
    for person in (jan, john):
        _consent(context, person, MARKETING)
        _consent(context, person, LOCATION)
    _clear_outbox(engine)
    clock.current = PUBLISHED_ON
    v2 = _v2(v1)
    with context.unit_of_work() as uow:
        context.publishing.publish(uow, v2, effective=EFFECTIVE)
    yield Published(context, v1, v2, jan, john)
    context.close()


def _clear_outbox(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(outbox.delete())


def _count(engine: Engine, table: Table) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def _decide(context: Context, subject_id: int, activity: str) -> DenyReason | None:
    with context.unit_of_work() as uow, uow.reading() as connection:
        decision = context.access.decide(connection, DataSubject(subject_id), subject_id, activity)
    return decision.reason


# --- publishing ------------------------------------------------------------------------------


def test_p19_l49_a_material_change_mails_every_active_account_in_its_own_language(
    published: Published,
) -> None:
    mails = {
        mail.to: mail
        for _id, template, mail in published.context.outbox.pending()
        if template == CHANGE_MAIL
    }
    assert len(mails) == 2
    dutch = next(m for m in mails.values() if "privacyverklaring" in m.subject)
    english = next(m for m in mails.values() if "privacy statement" in m.subject)
    assert dutch.subject == "Onze privacyverklaring verandert op 27 december 2026"
    assert english.subject == "Our privacy statement changes on 27 December 2026"
    # the changes in the statement's plain words, never the diff's English reasons
    assert "- Marketing e-mail: we ask for your consent in other words." in english.body
    assert "- Marketing-e-mail: we vragen uw toestemming met andere woorden." in dutch.body
    assert "we ask for it again" in english.body  # a consent text changed: asked anew
    assert "/privacy/changes?from=1&to=2&lang=en" in english.body
    assert "/privacy/changes?from=1&to=2&lang=nl" in dutch.body
    assert "L50" not in english.body and "stale" not in english.body


def test_l48_the_version_is_stored_with_last_updated_stamped_and_its_effective_date(
    published: Published,
) -> None:
    stored = published.context.versions.get(2)
    assert stored is not None
    assert stored.last_updated == date(2026, 11, 27)  # the day of publishing
    assert stored.effective == date(2026, 12, 27)
    (row,) = published.context.publishing.publications("flexibelt")
    assert (row["version"], row["previous_version"], row["material"]) == (2, 1, True)
    assert (row["notice_days"], row["mails_queued"]) == (30, 2)


@pytest.mark.parametrize(
    ("effective", "message"),
    [
        (date(2026, 11, 26), "lies in the past"),
        (date(2026, 12, 26), "at least 30 days before it takes effect"),
    ],
)
def test_l49_a_date_in_the_past_or_too_soon_is_refused_and_changes_nothing(
    settings: Settings,
    engine: Engine,
    clock: FixedClock,
    effective: date,
    message: str,
) -> None:
    v1 = load_policy_file(settings.policy_file)
    context = _start(settings, engine, clock, v1)
    customer(context)
    _clear_outbox(engine)
    clock.current = PUBLISHED_ON
    with context.unit_of_work() as uow, pytest.raises(PublishRefused, match=message):
        context.publishing.publish(uow, _v2(v1), effective=effective)
    assert _count(engine, policy_versions) == 1
    assert _count(engine, policy_publications) == 0
    assert _count(engine, outbox) == 0
    context.close()


def test_l48_a_version_that_does_not_follow_the_stored_ones_is_refused(
    published: Published,
) -> None:
    context = published.context
    again = published.v2  # version 2 again
    with (
        context.unit_of_work() as uow,
        pytest.raises(PublishRefused, match="the next version is 3"),
    ):
        context.publishing.publish(uow, again, effective=date(2027, 1, 30))
    assert _count(context.engine, policy_versions) == 2
    assert _count(context.engine, policy_publications) == 1


# --- the version in force --------------------------------------------------------------------


def test_p19_a_published_version_is_not_enforced_before_its_effective_date(
    published: Published, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    clock.current = datetime(2026, 12, 26, 23, 0, tzinfo=UTC)
    before = _start(settings, engine, clock, published.v2)  # the new file deployed early
    assert before.policy.policy.version == 1
    assert _decide(before, published.jan, MARKETING) is None  # the v1 consent still counts
    before.close()
    clock.current = datetime(2026, 12, 27, 0, 0, tzinfo=UTC)
    after = _start(settings, engine, clock, published.v1)  # or the old file still deployed
    assert after.policy.policy.version == 2
    assert after.policy.policy.last_updated == date(2026, 11, 27)
    after.close()


def test_l50_l86_after_it_applies_the_changed_consent_is_stale_and_the_other_still_valid(
    published: Published, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    clock.current = datetime(2026, 12, 27, 8, 0, tzinfo=UTC)
    context = _start(settings, engine, clock, published.v2)
    for person in (published.jan, published.john):
        assert _decide(context, person, MARKETING) is DenyReason.CONSENT_STALE
        assert _decide(context, person, LOCATION) is None
    # given again under v2: the record names version 2, and it counts
    _consent(context, published.jan, MARKETING)
    assert _decide(context, published.jan, MARKETING) is None
    with engine.connect() as connection:
        versions = connection.execute(
            select(consent_events.c.policy_version)
            .where(
                consent_events.c.subject_id == published.jan,
                consent_events.c.activity == MARKETING,
            )
            .order_by(consent_events.c.id)
        ).scalars()
        assert list(versions) == [1, 1, 2, 2]  # each a request and its confirmation
    context.close()


def test_l50_a_new_consent_activity_starts_with_nobody_consenting(
    published: Published, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    clock.current = datetime(2026, 12, 27, 8, 0, tzinfo=UTC)
    context = _start(settings, engine, clock, published.v2)
    assert NEW in context.policy.activity_ids
    for person in (published.jan, published.john):
        assert _decide(context, person, NEW) is DenyReason.NO_CONSENT
    with engine.connect() as connection:
        given = connection.execute(
            select(func.count()).where(consent_events.c.activity == NEW)
        ).scalar_one()
    assert given == 0
    context.close()


# --- what customers read ---------------------------------------------------------------------


def _client(context: Context) -> TestClient:
    return TestClient(create_app(context), client=("145.97.0.1", 50000))


def test_p19_the_changes_between_two_versions_in_plain_words_nl_en(published: Published) -> None:
    with _client(published.context) as client:
        dutch = client.get("/privacy/changes", params={"from": 1, "to": 2, "lang": "nl"})
        english = client.get("/privacy/changes", params={"from": 1, "to": 2, "lang": "en"})
        unknown = client.get(
            "/privacy/changes",
            params={"from": 1, "to": 7},
            headers={"Accept": "application/json"},
        )
        backwards = client.get(
            "/privacy/changes",
            params={"from": 2, "to": 1},
            headers={"Accept": "application/json"},
        )
    assert dutch.status_code == english.status_code == 200
    assert "<h1>What changed from version 1 to version 2</h1>" in english.text
    assert "<li>Marketing e-mail: we ask for your consent in other words.</li>" in english.text
    assert "<h1>Wat er veranderde van versie 1 naar versie 2</h1>" in dutch.text
    assert "<li>Marketing-e-mail: we vragen uw toestemming met andere woorden.</li>" in dutch.text
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert backwards.status_code == 422
    # the refusal names the parameter at fault, like any invalid query field (RFC 9457)
    (error,) = backwards.json()["errors"]
    assert error["in"] == "query" and error["field"] == "from"
    assert error["message"] == "'from' must be a version before 'to'"


def test_l48_every_earlier_and_the_coming_version_are_listed_and_readable(
    published: Published,
) -> None:
    with _client(published.context) as client:
        listing = client.get("/privacy/versions", params={"lang": "en"})
        coming = client.get("/privacy/v/2", params={"lang": "en"})
    assert '<a href="/privacy?lang=en">Version 1</a>' in listing.text
    assert '<a href="/privacy/v/2?lang=en">Version 2</a>' in listing.text
    assert "This version applies from 27 December 2026." in listing.text
    assert coming.status_code == 200
    assert "Version 2" in coming.text
    assert "This version applies from 27 December 2026." in coming.text


def test_l49_the_centre_shows_the_notice_from_publishing_until_30_days_after(
    published: Published, clock: FixedClock
) -> None:
    context = published.context
    with _client(context) as client:
        coming = client.get("/", params={"lang": "nl"})
        clock.current = datetime(2027, 1, 25, 12, 0, tzinfo=UTC)  # day 29 after
        recent = client.get("/", params={"lang": "en"})
        clock.current = datetime(2027, 1, 26, 0, 0, tzinfo=UTC)  # day 30: gone
        gone = client.get("/", params={"lang": "en"})
    assert "Onze privacyverklaring verandert op 27 december 2026." in coming.text
    assert 'href="/privacy/changes?from=1&amp;to=2&amp;lang=nl"' in coming.text
    assert "Our privacy statement changed on 27 December 2026." in recent.text
    assert 'id="policy-notice"' not in gone.text


def test_p19_an_editorial_change_is_published_without_mail_or_notice(
    settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    v1 = load_policy_file(settings.policy_file)
    context = _start(settings, engine, clock, v1)
    customer(context)
    _clear_outbox(engine)
    clock.current = PUBLISHED_ON
    editorial = v1.model_copy(update={"policy": v1.policy.model_copy(update={"version": 2})})
    with context.unit_of_work() as uow:
        done = context.publishing.publish(uow, editorial, effective=date(2026, 11, 28))
    assert (done.material, done.mails_queued) == (False, 0)
    assert _count(engine, outbox) == 0
    assert context.publishing.site_notice(context.policy, date(2026, 11, 27)) is None
    context.close()


def test_the_notice_days_are_a_setting(
    settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    short = settings.model_copy(update={"policy_notice_days": 7})
    v1 = load_policy_file(settings.policy_file)
    context = _start(short, engine, clock, v1)
    clock.current = PUBLISHED_ON
    with context.unit_of_work() as uow:
        done = context.publishing.publish(uow, _v2(v1), effective=date(2026, 12, 4))
    assert done.effective == date(2026, 12, 4) and done.material
    context.close()


def test_l49_a_running_server_takes_the_new_version_on_its_effective_day(
    published: Published, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # started on v1; v2 is published for 27 December: no restart by an operator is needed
    server = uvicorn.Server(uvicorn.Config(create_app(published.context)))
    watch = VersionWatch(published.context, server)
    clock.current = datetime(2026, 12, 26, 23, 59, tzinfo=UTC)
    assert watch.check() is None
    clock.current = datetime(2026, 12, 27, 0, 1, tzinfo=UTC)
    assert watch.check() == 2
    # the watch stops the server so that serve starts again over version 2
    monkeypatch.setattr(serve_cli, "VERSION_CHECK_SECONDS", 0.01)
    watch.start()
    watch.join(timeout=10)
    assert server.should_exit and watch.switch_to == 2
    # and the start that follows enforces version 2
    again = _start(published.context.settings, published.context.engine, clock, published.v1)
    try:
        assert again.policy.policy.version == 2
        assert again.policy.activity(NEW).requires_consent
    finally:
        again.access_log.flush()


def test_l49_a_database_that_does_not_answer_is_no_new_version(
    published: Published, clock: FixedClock, tmp_path: Path
) -> None:
    # the version in force falls back on the file when the database is down; the watch must
    # not take that for a change of version and restart a server in the middle of an outage
    clock.current = datetime(2026, 12, 27, 0, 1, tzinfo=UTC)
    running = replace(published.context, policy=published.v2)  # v2 is in force and running
    assert (
        VersionWatch(running, uvicorn.Server(uvicorn.Config(create_app(running)))).check() is None
    )
    down = create_engine(f"sqlite:///{tmp_path}/no/such/dir/privaat.db")
    unreachable = replace(running, engine=down)
    watch = VersionWatch(unreachable, uvicorn.Server(uvicorn.Config(create_app(running))))
    assert watch.check() is None
    down.dispose()
