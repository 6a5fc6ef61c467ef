"""The pure rules of support access (P7, LEGAL L29): a grant's state at a moment, the
durations offered within the policy's cap, and the access log's staff actors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from privaat.domain.principal import StaffMember, StaffRole
from privaat.policy.period import Period
from privaat.services.support_access import (
    SECTIONS,
    GrantDuration,
    GrantState,
    grant_state,
    parse_actor,
)

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("expires_at", "revoked_at", "state"),
    [
        pytest.param(NOW + HOUR, None, GrantState.LIVE, id="live"),
        pytest.param(NOW, None, GrantState.EXPIRED, id="ends-at-its-end"),
        pytest.param(NOW - HOUR, None, GrantState.EXPIRED, id="expired"),
        pytest.param(NOW + HOUR, NOW, GrantState.REVOKED, id="revoked-now"),
        pytest.param(NOW - HOUR, NOW - 2 * HOUR, GrantState.REVOKED, id="revoked-before-end"),
        pytest.param(NOW + HOUR, NOW + HOUR / 2, GrantState.LIVE, id="revoked-later"),
    ],
)
def test_l29_a_grants_state_at_a_moment(
    expires_at: datetime, revoked_at: datetime | None, state: GrantState
) -> None:
    assert grant_state(expires_at=expires_at, revoked_at=revoked_at, now=NOW) is state


def test_l29_the_longest_grant_is_the_policys_seven_days() -> None:
    cap = Period.parse("P7D").after(NOW)
    assert max(NOW + d.length for d in GrantDuration) == cap
    assert [d.length for d in GrantDuration] == [HOUR, 24 * HOUR, 7 * 24 * HOUR]


@pytest.mark.parametrize("text", ["30d", "P30D", "1 hour", "", "7D"])
def test_l29_no_other_duration_is_a_grant_duration(text: str) -> None:
    with pytest.raises(ValueError):
        GrantDuration(text)


@pytest.mark.parametrize("role", list(StaffRole))
def test_l29_the_access_logs_staff_actor_names_number_and_role(role: StaffRole) -> None:
    assert parse_actor(StaffMember(42, role).actor) == (42, role)


@pytest.mark.parametrize(
    "actor",
    ["self", "system:outbox", "customer:acme", "staff:x:support", "staff::support", ""],
)
def test_who_viewed_my_data_counts_only_staff_actors(actor: str) -> None:
    assert parse_actor(actor) is None


def test_a_role_this_version_no_longer_knows_is_still_a_staff_read() -> None:
    assert parse_actor("staff:3:helpdesk") == (3, None)


def test_l29_the_sections_name_data_categories_of_the_shipped_activity() -> None:
    from privaat.policy.loader import load_policy_file
    from privaat.settings import default_policy_file

    declared = load_policy_file(default_policy_file()).activity("support_account_access")
    assert {s.category for s in SECTIONS} <= set(declared.data_categories)
