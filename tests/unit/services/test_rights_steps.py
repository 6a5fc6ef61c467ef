"""The pure parts of a request's steps: a correction's validation names the bad field, and
the erasure receipt's canonical form is what its hash is taken over (issue 11 items 5-6)."""

from __future__ import annotations

import json

import pytest

from privaat.services.errors import InvalidField
from privaat.services.rectification import category_of, validated
from privaat.services.request_erasure import canonical


def test_L66_corrections_come_back_in_the_sign_up_forms_canonical_form() -> None:
    assert validated({"postal_code": "2721na", "phone": "0612345678", "street": " Dorp 1 "}) == {
        "postal_code": "2721 NA",
        "phone": "+31612345678",
        "street": "Dorp 1",
    }


def test_an_empty_optional_field_is_cleared_and_a_required_one_refused() -> None:
    assert validated({"display_name": ""}) == {"display_name": None}
    with pytest.raises(InvalidField) as error:
        validated({"language": ""})
    assert error.value.field == "language"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"language": "de"}, "language"),
        ({"vat_number": "NL000000000B00"}, "vat_number"),
        ({"name": "two\nlines"}, "name"),
        ({"password": "x"}, "password"),
    ],
)
def test_a_bad_correction_names_its_field(changes: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidField) as error:
        validated(changes)
    assert error.value.field == field


def test_each_correctable_field_has_the_data_category_recipients_are_found_by() -> None:
    assert category_of("postal_code") == "postal_address"
    assert category_of("name") == "name"
    assert category_of("language") == "language"


def test_the_receipt_is_hashed_as_sorted_compact_utf8_json() -> None:
    # anyone holding the mailed receipt can hash it again and find it in the audit trail
    document = {"reference": "PR-2345ABCD", "kept": [{"what": "Verzoeken, é"}], "kind": "erasure"}
    text = canonical(document)
    assert text == '{"kept":[{"what":"Verzoeken, é"}],"kind":"erasure","reference":"PR-2345ABCD"}'
    assert json.loads(text) == document
