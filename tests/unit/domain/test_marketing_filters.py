"""Audience filters and previews (issue 10 item 4; P4): parsing names the faulty part, values
of one key are alternatives, and a preview shows initials only."""

from __future__ import annotations

import pytest

from privaat.domain.marketing import AudienceFilter, InvalidFilter, initials, parse_filters


def test_p4_values_of_one_key_are_alternatives_and_keys_narrow() -> None:
    wanted = parse_filters([("topic", "hosting,voip"), ("topic", "apps"), ("country", "nl")])
    assert wanted.topics == {"hosting", "voip", "apps"}
    assert wanted.countries == {"NL"}
    assert wanted.described() == {"topic": ["apps", "hosting", "voip"], "country": ["NL"]}


def test_p4_no_filter_narrows_nothing() -> None:
    assert parse_filters([]) == AudienceFilter()


@pytest.mark.parametrize(
    ("pairs", "key"),
    [
        pytest.param([("colour", "red")], "colour", id="unknown-key"),
        pytest.param([("country", "NLD")], "country", id="three-letters"),
        pytest.param([("country", "1A")], "country", id="digits"),
        pytest.param([("topic", "hosting,")], "topic", id="empty-alternative"),
        pytest.param([("city", "x" * 101)], "city", id="too-long"),
        pytest.param([("topic", ",".join(f"t{n}" for n in range(51)))], "topic", id="too-many"),
    ],
)
def test_p4_a_bad_filter_names_its_key(pairs: list[tuple[str, str]], key: str) -> None:
    with pytest.raises(InvalidFilter) as refused:
        parse_filters(pairs)
    assert refused.value.key == key


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("Anna de Vries", "A.D.V.", id="three-parts"),
        pytest.param("Jan-Willem van der Berg", "J.W.V.", id="at-most-three"),
        pytest.param("", "?", id="no-name"),
    ],
)
def test_p4_a_preview_shows_initials_only(name: str, expected: str) -> None:
    assert initials(name) == expected
