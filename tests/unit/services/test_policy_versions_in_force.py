"""Which stored version the app enforces today (issue 13 item 3, P19, L49): the decision table
of ``policy_publishing.in_force``, over rows written by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, create_engine, insert

from privaat.domain.clock import FixedClock
from privaat.policy.loader import load_policy_file
from privaat.policy.schema import Policy
from privaat.services.policy_publishing import in_force
from privaat.services.policy_versions import canonical_text
from privaat.settings import default_policy_file
from privaat.store.tables import policy_versions
from privaat.store.tables_policy_notices import policy_publications

TODAY = FixedClock(datetime(2026, 12, 27, 9, 0, tzinfo=UTC))


def _version(v1: Policy, number: int) -> Policy:
    meta = v1.policy.model_copy(
        update={"version": number, "last_updated": date(2026, 11, 25 + number)}
    )
    return v1.model_copy(update={"policy": meta})


@pytest.fixture
def v1() -> Policy:
    return load_policy_file(default_policy_file())


def _store(engine: Engine, *versions: Policy, published: dict[int, date]) -> None:
    with engine.begin() as connection:
        for policy in versions:
            connection.execute(
                insert(policy_versions).values(
                    policy_id="flexibelt",
                    version=policy.policy.version,
                    published_at=datetime(2026, 11, 27, tzinfo=UTC),
                    effective=published.get(policy.policy.version),
                    last_updated=policy.policy.last_updated,
                    text=canonical_text(policy),
                    sha256="0" * 64,
                )
            )
        for number, effective in published.items():
            connection.execute(
                insert(policy_publications).values(
                    policy_id="flexibelt",
                    version=number,
                    published_at=datetime(2026, 11, 27, tzinfo=UTC),
                    effective=effective,
                    previous_version=number - 1,
                    material=True,
                    notice_days=30,
                    mails_queued=0,
                )
            )


def test_nothing_published_runs_the_file(engine: Engine, v1: Policy) -> None:
    _store(engine, v1, published={})
    assert in_force(engine, TODAY, v1) is v1


def test_p19_a_file_published_for_a_later_day_runs_the_version_before_it(
    engine: Engine, v1: Policy
) -> None:
    v2 = _version(v1, 2)
    _store(engine, v1, v2, published={2: date(2026, 12, 28)})
    assert in_force(engine, TODAY, v2).policy.version == 1


def test_p19_a_version_published_for_today_runs_even_when_the_file_is_older(
    engine: Engine, v1: Policy
) -> None:
    v2 = _version(v1, 2)
    _store(engine, v1, v2, published={2: date(2026, 12, 27)})
    running = in_force(engine, TODAY, v1)
    assert running.policy.version == 2 and running == v2


def test_p19_of_two_publications_the_newest_in_force_runs_not_the_pending_one(
    engine: Engine, v1: Policy
) -> None:
    v2, v3 = _version(v1, 2), _version(v1, 3)
    _store(engine, v1, v2, v3, published={2: date(2026, 12, 1), 3: date(2027, 1, 30)})
    assert in_force(engine, TODAY, v3).policy.version == 2
    assert in_force(engine, TODAY, v1).policy.version == 2


def test_a_pending_first_version_has_nothing_before_it_and_runs_the_file(
    engine: Engine, v1: Policy
) -> None:
    _store(engine, v1, published={1: date(2027, 1, 1)})
    assert in_force(engine, TODAY, v1) is v1


def test_a_database_without_the_tables_runs_the_file(v1: Policy) -> None:
    bare = create_engine("sqlite://")
    assert in_force(bare, TODAY, v1) is v1
    bare.dispose()
