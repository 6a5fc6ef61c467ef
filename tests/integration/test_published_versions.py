"""Every published version of the statement stays readable (issue 9 item 2, art. 13(3), L48):
recorded at start-up, /privacy/v/N and /privacy/versions, the same number never with another
text, and a "Wat is er veranderd" box for 30 days after a material change takes effect."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from privaat.bootstrap import Context, bootstrap
from privaat.domain.clock import FixedClock
from privaat.policy.loader import PolicyError, load_policy_file
from privaat.policy.period import Period
from privaat.policy.schema import Policy
from privaat.services.policy_versions import PolicyVersionConflict, PolicyVersions
from privaat.settings import Settings, default_policy_file
from privaat.store.tables import policy_versions
from privaat.web.app import create_app

SHIPPED = default_policy_file()


def _shipped() -> Policy:
    return load_policy_file(SHIPPED)


def _next_version(old: Policy, *, days_later: int = 1) -> Policy:
    """The shipped policy with the account kept 60 days after closing instead of 30: material."""
    activities = tuple(
        a.model_copy(update={"retention": a.retention.model_copy(update={"period": _60_DAYS})})
        if a.id == "account"
        else a
        for a in old.activities
    )
    day = old.policy.last_updated + timedelta(days=days_later)
    meta = old.policy.model_copy(
        update={"version": old.policy.version + 1, "last_updated": day, "effective": day}
    )
    return old.model_copy(update={"activities": activities, "policy": meta})


_60_DAYS = Period.parse("P60D")


def _start(settings: Settings, engine: Engine, clock: FixedClock, policy: Policy) -> Context:
    """The app's start-up: bootstrap records the running version."""
    return bootstrap(
        settings,
        clock=clock,
        engine=engine,
        policy=policy,
        run_migrations=False,
        record_policy_version=True,
    )


def _rows(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as connection:
        return [
            dict(row._mapping)
            for row in connection.execute(
                select(policy_versions).order_by(policy_versions.c.version)
            )
        ]


def test_start_up_records_the_running_version_once(
    settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    policy = _shipped()
    _start(settings, engine, clock, policy).close()
    _start(settings, engine, clock, policy).close()  # a restart: nothing new
    (row,) = _rows(engine)
    assert row["policy_id"] == "flexibelt" and row["version"] == policy.policy.version
    assert row["published_at"] == clock.now()
    assert row["last_updated"] == policy.policy.last_updated
    text = str(row["text"])
    assert row["sha256"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
    # the stored text is the policy itself, readable without the YAML file
    assert Policy.model_validate(json.loads(text)) == policy


def test_a_yaml_comment_is_no_new_text(
    settings: Settings, engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    _start(settings, engine, clock, _shipped()).close()
    commented = tmp_path / "commented.yaml"
    commented.write_text("# a note for the next editor\n" + SHIPPED.read_text("utf-8"), "utf-8")
    _start(settings, engine, clock, load_policy_file(commented)).close()
    assert len(_rows(engine)) == 1


def test_the_same_number_with_another_text_refuses_to_start(
    settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    policy = _shipped()
    _start(settings, engine, clock, policy).close()
    changed = _next_version(policy)
    same_number = changed.model_copy(update={"policy": policy.policy})
    with pytest.raises(PolicyVersionConflict, match=r"raise policy\.version") as refused:
        _start(settings, engine, clock, same_number)
    # a PolicyError: `privaat serve` says "cannot start: ..." instead of a traceback
    assert isinstance(refused.value, PolicyError)
    assert f"version {policy.policy.version} was published on 2026-11-26" in str(refused.value)
    assert len(_rows(engine)) == 1


def test_a_new_text_below_the_newest_number_refuses_to_start(
    settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    v1 = _shipped()
    v2 = _next_version(v1)
    _start(settings, engine, clock, v1).close()
    _start(settings, engine, clock, v2).close()
    v3 = _next_version(v2)
    lower = v3.model_copy(update={"policy": v3.policy.model_copy(update={"version": 1})})
    with pytest.raises(PolicyVersionConflict, match="version 1"):
        _start(settings, engine, clock, lower)
    # a rollback to a published version with its own text is allowed and records nothing
    _start(settings, engine, clock, v1).close()
    assert [row["version"] for row in _rows(engine)] == [1, 2]


def test_a_material_change_needs_a_later_date_too(
    settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    v1 = _shipped()
    _start(settings, engine, clock, v1).close()
    same_day = _next_version(v1, days_later=0)
    with pytest.raises(PolicyVersionConflict, match="later 'last updated' date"):
        _start(settings, engine, clock, same_day)


# --- the pages -----------------------------------------------------------------------------


@pytest.fixture
def two_versions(
    settings: Settings, engine: Engine, clock: FixedClock
) -> Iterator[tuple[Context, Policy, Policy]]:
    v1 = _shipped()
    v2 = _next_version(v1)
    _start(settings, engine, clock, v1).close()
    context = _start(settings, engine, clock, v2)
    yield context, v1, v2
    context.close()


def _client(context: Context) -> TestClient:
    return TestClient(create_app(context), client=("145.97.0.1", 50000))


def test_each_version_has_its_page_and_the_earlier_one_links_the_current(
    two_versions: tuple[Context, Policy, Policy],
) -> None:
    context, _v1, _v2 = two_versions
    with _client(context) as client:
        first = client.get("/privacy/v/1", params={"lang": "nl"})
        second = client.get("/privacy/v/2", params={"lang": "nl"})
        current = client.get("/privacy", params={"lang": "nl"})
        english = client.get("/privacy/v/1", params={"lang": "en"})
    assert first.status_code == second.status_code == english.status_code == 200
    assert "Versie 1" in first.text and "Versie 2" not in first.text
    assert "Version 1" in english.text
    assert "Versie 2" in second.text and "Versie 2" in current.text
    # the earlier version links the one in force now; the current pages need not
    assert 'href="/privacy"' in first.text
    # the JSON twin is of the version in force: only the current pages link it
    assert 'href="/privacy.json"' in second.text and 'href="/privacy.json"' not in first.text
    # the archived text is the old one: 30 days after closing, not 60
    assert "30 dagen" in first.text and "60 dagen" in second.text


def test_an_unknown_version_is_a_404_problem(two_versions: tuple[Context, Policy, Policy]) -> None:
    context, _v1, _v2 = two_versions
    with _client(context) as client:
        response = client.get("/privacy/v/9", headers={"Accept": "application/json"})
        not_a_number = client.get("/privacy/v/one", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert not_a_number.status_code == 422


def test_the_versions_page_lists_every_version_with_its_date(
    two_versions: tuple[Context, Policy, Policy],
) -> None:
    context, v1, v2 = two_versions
    with _client(context) as client:
        dutch = client.get("/privacy/versions", params={"lang": "nl"})
        english = client.get("/privacy/versions", params={"lang": "en"})
    assert dutch.status_code == 200 and dutch.headers["content-language"] == "nl"
    assert "<h1>Alle versies van deze privacyverklaring</h1>" in dutch.text
    assert "<h1>All versions of this privacy statement</h1>" in english.text
    assert '<a href="/privacy?lang=nl">Versie 2</a>' in dutch.text
    assert '<a href="/privacy/v/1?lang=nl">Versie 1</a>' in dutch.text
    assert "26 november 2026" in dutch.text and "27 november 2026" in dutch.text
    assert dutch.text.index("Versie 2") < dutch.text.index("Versie 1")  # newest first
    assert '<a href="/privacy/v/1?lang=en">Version 1</a>' in english.text
    assert v1.policy.version == 1 and v2.policy.version == 2


def test_what_changed_is_shown_for_30_days_after_the_change_takes_effect(
    two_versions: tuple[Context, Policy, Policy], clock: FixedClock
) -> None:
    context, _v1, v2 = two_versions
    effective = datetime.combine(date(2026, 11, 27), datetime.min.time(), tzinfo=UTC)
    assert v2.policy.effective == effective.date()
    with _client(context) as client:
        clock.current = effective + timedelta(days=29, hours=23)
        within = client.get("/privacy", params={"lang": "nl"})
        within_md = client.get("/privacy.md", params={"lang": "nl"})
        clock.current = effective + timedelta(days=30)
        after = client.get("/privacy", params={"lang": "nl"})
    assert "Wat is er veranderd" in within.text and "Wat is er veranderd" in within_md.text
    assert "Wat is er veranderd" not in after.text


def test_the_service_finds_the_material_diff_only_while_it_is_recent(
    two_versions: tuple[Context, Policy, Policy],
) -> None:
    context, _v1, v2 = two_versions
    versions = context.versions
    within = versions.recent_changes(v2, date(2026, 12, 26))
    assert within is not None and within.is_material
    assert [c.field for c in within.material] == ["retention.period"]
    assert versions.recent_changes(v2, date(2026, 12, 27)) is None
    # no earlier version: nothing to show
    assert PolicyVersions(context.engine, context.clock, "other").all() == []


def test_a_restart_with_the_same_versions_writes_nothing(
    two_versions: tuple[Context, Policy, Policy],
    settings: Settings,
    engine: Engine,
    clock: FixedClock,
) -> None:
    _context, _v1, v2 = two_versions
    _start(settings, engine, clock, v2).close()
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(policy_versions)).scalar_one()
    assert count == 2


def test_two_workers_starting_at_once_store_the_version_once(
    settings: Settings, engine: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = _shipped()
    versions = PolicyVersions(engine, clock, "flexibelt")
    other_worker = PolicyVersions(engine, clock, "flexibelt")
    real_record = PolicyVersions._record
    raced: list[int] = []

    def first_sees_nothing(self: PolicyVersions, running: Policy) -> object:
        if not raced:  # the other worker inserts between this one's read and its insert
            raced.append(1)
            other_worker.record(running)
            raise IntegrityError("INSERT", {}, Exception("duplicate key"))
        return real_record(self, running)

    monkeypatch.setattr(PolicyVersions, "_record", first_sees_nothing)
    stored = versions.record(policy)
    assert stored.number == policy.policy.version
    assert len(_rows(engine)) == 1


def test_a_version_stored_under_an_older_schema_is_served_as_its_text(
    two_versions: tuple[Context, Policy, Policy], engine: Engine, clock: FixedClock
) -> None:
    context, _v1, _v2 = two_versions
    old_text = '{"policy": {"id": "flexibelt", "version": 7, "how": "a field gone since"}}'
    with engine.begin() as connection:
        connection.execute(
            policy_versions.insert().values(
                policy_id="flexibelt",
                version=7,
                published_at=clock.now(),
                effective=None,
                last_updated=date(2020, 1, 1),
                text=old_text,
                sha256=hashlib.sha256(old_text.encode()).hexdigest(),
            )
        )
    with _client(context) as client:
        response = client.get("/privacy/v/7")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.text == old_text


def test_the_statement_stays_readable_while_the_versions_cannot_be_read(
    two_versions: tuple[Context, Policy, Policy], monkeypatch: pytest.MonkeyPatch
) -> None:
    context, _v1, _v2 = two_versions

    def database_down(*_args: object) -> None:
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(context.versions, "_previous", database_down)
    with _client(context) as client:
        response = client.get("/privacy", params={"lang": "nl"})
    assert response.status_code == 200
    assert "Privacyverklaring van Flexibelt" in response.text
    assert "Wat is er veranderd" not in response.text  # the box waits for the database


def test_every_link_of_an_earlier_version_works(
    two_versions: tuple[Context, Policy, Policy],
) -> None:
    context, _v1, _v2 = two_versions
    with _client(context) as client:
        html = client.get("/privacy/v/1", params={"lang": "en"}).text
        local = sorted(set(re.findall(r'href="(/[^"]*)"', html)))
        answers = {href: client.get(unescape(href), follow_redirects=False) for href in local}
    assert "/privacy" in local and "/privacy/v/1?lang=nl" in local
    for href, answer in answers.items():
        login = answer.status_code == 303 and answer.headers["location"].startswith("/login")
        assert answer.status_code == 200 or login, (href, answer.status_code)
