"""The consent ledger's fold (LEGAL L7): replaying the entries rebuilds the current state.

The oracle is hand-written: per activity, the newest entry decides (a give: GIVEN for its
text; a withdrawal: WITHDRAWN), which is also what the guard reads from the store
(``services.subject_state``: the newest row per activity).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from privaat.domain.consent_ledger import (
    LedgerEntry,
    Stage,
    awaiting_confirmation,
    is_stale,
    live,
    replay,
)
from privaat.domain.subject import ConsentStatus

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
OLD = "a" * 64
NEW = "b" * 64

entries = st.lists(
    st.tuples(
        st.sampled_from(["newsletter", "personalised_offers", "analytics"]),
        st.booleans(),
        st.sampled_from([OLD, NEW]),
    ),
    max_size=30,
).map(
    lambda items: [
        LedgerEntry(i + 1, activity, given_, T0 + timedelta(minutes=i), text)
        for i, (activity, given_, text) in enumerate(items)
    ]
)


@given(entries, st.randoms(use_true_random=False))
def test_l7_replaying_any_ledger_rebuilds_the_newest_entry_per_activity(
    ledger: list[LedgerEntry], shuffler: object
) -> None:
    shuffled = list(ledger)
    shuffler.shuffle(shuffled)  # type: ignore[attr-defined]
    state = replay(shuffled)  # the ledger's ids, not the order handed in, decide
    newest: dict[str, LedgerEntry] = {}
    for entry in ledger:
        newest[entry.activity] = entry
    assert set(state) == set(newest)
    for activity, entry in newest.items():
        expected = ConsentStatus.GIVEN if entry.given else ConsentStatus.WITHDRAWN
        assert state[activity].status is expected
        if entry.given:
            assert state[activity].text_sha256 == entry.text_sha256
            assert state[activity].given_at == entry.at


def test_l11_a_withdrawal_after_a_give_wins() -> None:
    state = replay(
        [
            LedgerEntry(1, "newsletter", True, T0, NEW),
            LedgerEntry(2, "newsletter", False, T0 + timedelta(hours=1), NEW),
        ]
    )
    assert state["newsletter"].status is ConsentStatus.WITHDRAWN
    assert state["newsletter"].withdrawn_at == T0 + timedelta(hours=1)
    assert not live(state["newsletter"], frozenset({NEW}), T0 + timedelta(hours=2))


def test_a_give_after_a_withdrawal_is_a_new_consent() -> None:
    state = replay(
        [
            LedgerEntry(1, "newsletter", True, T0, OLD),
            LedgerEntry(2, "newsletter", False, T0 + timedelta(hours=1), OLD),
            LedgerEntry(3, "newsletter", True, T0 + timedelta(hours=2), NEW),
        ]
    )
    assert state["newsletter"].status is ConsentStatus.GIVEN
    assert state["newsletter"].text_sha256 == NEW


def test_l86_a_give_for_an_old_text_is_stale_and_does_not_count() -> None:
    state = replay([LedgerEntry(1, "newsletter", True, T0, OLD)])["newsletter"]
    assert is_stale(state, frozenset({NEW}))
    assert not live(state, frozenset({NEW}), T0)
    assert live(state, frozenset({OLD, NEW}), T0)


def test_l8_no_entry_is_no_consent() -> None:
    assert replay([]) == {}
    assert not live(None, frozenset({NEW}), T0)


def test_l29_a_time_limited_grant_ends_at_its_expiry() -> None:
    end = T0 + timedelta(days=7)
    state = replay([LedgerEntry(1, "support_access", True, T0, NEW, end)])["support_access"]
    assert live(state, frozenset({NEW}), end - timedelta(seconds=1))
    assert not live(state, frozenset({NEW}), end)


# --- double opt-in (issue 14 item 5) ---------------------------------------------------------

REQUESTED, CONFIRMED = Stage.REQUESTED, Stage.CONFIRMED
LAPSES = T0 + timedelta(days=7)


def test_issue14_item5_a_request_alone_is_no_consent_and_its_confirmation_is() -> None:
    asked = LedgerEntry(1, "newsletter", False, T0, NEW, LAPSES, REQUESTED)
    assert replay([asked]) == {}  # asked is not given, nor refused
    confirmed = LedgerEntry(2, "newsletter", True, T0 + timedelta(hours=1), NEW, None, CONFIRMED)
    state = replay([asked, confirmed])["newsletter"]
    assert state.status is ConsentStatus.GIVEN and live(state, frozenset({NEW}), T0)


def test_issue14_item5_a_request_changes_nothing_that_stood_before() -> None:
    given = LedgerEntry(1, "newsletter", True, T0, OLD)
    withdrawn = LedgerEntry(2, "newsletter", False, T0 + timedelta(hours=1), OLD)
    asked = LedgerEntry(3, "newsletter", False, T0 + timedelta(hours=2), NEW, LAPSES, REQUESTED)
    assert replay([given, asked])["newsletter"].status is ConsentStatus.GIVEN
    assert replay([given, withdrawn, asked])["newsletter"].status is ConsentStatus.WITHDRAWN


def test_issue14_item5_only_the_newest_unexpired_request_awaits_its_link() -> None:
    asked = LedgerEntry(1, "newsletter", False, T0, NEW, LAPSES, REQUESTED)
    assert awaiting_confirmation([asked], T0) == {"newsletter": asked}
    assert awaiting_confirmation([asked], LAPSES) == {}  # lapsed at its expiry
    # anything after it spends it: its confirmation, a withdrawal, a newer request
    for after in (
        LedgerEntry(2, "newsletter", True, T0, NEW, None, CONFIRMED),
        LedgerEntry(2, "newsletter", False, T0, NEW),
    ):
        assert awaiting_confirmation([asked, after], T0) == {}
    newer = LedgerEntry(2, "newsletter", False, T0, NEW, LAPSES, REQUESTED)
    assert awaiting_confirmation([newer, asked], T0) == {"newsletter": newer}  # by id
    # another activity's entry spends nothing
    other = LedgerEntry(3, "offers", True, T0, NEW)
    assert awaiting_confirmation([asked, other], T0) == {"newsletter": asked}
