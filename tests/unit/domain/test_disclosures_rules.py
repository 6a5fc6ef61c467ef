"""The disclosure rules (P12, LEGAL L36): a ground and a recipient are mandatory, each
field's problem is named, and a legal bar keeps the person from being told until its end."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from privaat.domain.disclosures import (
    DisclosureRequest,
    DisclosureScope,
    LegalBar,
    may_be_told,
    problems,
)

TODAY = date(2026, 11, 26)


def _request(**changes: object) -> DisclosureRequest:
    fields: dict[str, object] = {
        "subject_id": 7,
        "ground": "legal_order",
        "recipient": "police_and_justice",
        "requested_by": "Politie Eenheid Amsterdam",
        "reference": "PL1300-2026-123",
    }
    fields.update(changes)
    return DisclosureRequest(**fields)  # type: ignore[arg-type]  # the test's own fields


def test_l36_a_complete_disclosure_has_no_problems() -> None:
    assert problems(_request(), today=TODAY) == {}


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        pytest.param({"ground": None}, "ground", "legal ground", id="no-ground"),
        pytest.param({"ground": ""}, "ground", "legal ground", id="empty-ground"),
        pytest.param({"ground": "curiosity"}, "ground", "unknown legal ground", id="bad-ground"),
        pytest.param({"recipient": None}, "recipient", "recipient", id="no-recipient"),
        pytest.param({"requested_by": " "}, "requested_by", "who asked", id="nobody-asked"),
        pytest.param({"subject_id": None}, "subject", "person", id="no-person"),
        pytest.param({"country": "Nederland"}, "country", "two-letter", id="bad-country"),
    ],
)
def test_l36_each_missing_or_wrong_field_is_named(
    changes: dict[str, object], field: str, words: str
) -> None:
    found = problems(_request(**changes), today=TODAY)
    assert list(found) == [field]
    assert words in found[field]


def test_a_window_ending_before_it_starts_is_refused() -> None:
    scope = DisclosureScope(
        start=datetime(2026, 11, 1, tzinfo=UTC), end=datetime(2026, 10, 1, tzinfo=UTC)
    )
    assert list(problems(_request(scope=scope), today=TODAY)) == ["window"]


def test_a_legal_bar_must_end_in_the_future_and_name_its_order() -> None:
    found = problems(_request(bar=LegalBar(until=TODAY, reason="")), today=TODAY)
    assert sorted(found) == ["bar_reason", "bar_until"]


def test_l36_the_person_may_be_told_from_the_bars_end_date_on() -> None:
    assert may_be_told(None, today=TODAY) is True
    assert may_be_told(date(2026, 11, 27), today=TODAY) is False
    assert may_be_told(date(2026, 11, 26), today=TODAY) is True
