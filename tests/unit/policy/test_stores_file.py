"""The stores file is checked against the policy before anything is reached (issue 15 item 1,
bad input: an unknown category, a cycle of references, an identity left in clear)."""

from __future__ import annotations

import pytest

from privaat.policy.loader import load_policy_file
from privaat.policy.stores import Mask, StoresFileError, parse_stores
from privaat.settings import default_policy_file

POLICY = load_policy_file(default_policy_file())

BASE = """
stores:
  - id: billing
    name: {nl: Facturatie, en: Billing}
    kind: sql
    url: ${URL}
    activity: account
    tables:
      - name: customers
        identity: {email: email}
        fields:
          id: {}
          email: {category: email_address, mask: keyed_hash}
      - name: invoices
        references: {customer_id: customers.id}
        hold: {since: issued_on}
        fields:
          id: {}
          customer_id: {}
          issued_on: {category: invoices, mask: keep}
"""


def _parse(text: str) -> object:
    return parse_stores(text, POLICY, environ={"URL": "sqlite://"})


def test_the_reference_order_is_parents_first_and_defaults_are_safe() -> None:
    parsed = parse_stores(BASE, POLICY, environ={"URL": "sqlite:///billing.db"})
    [store] = parsed.stores
    assert store.url == "sqlite:///billing.db"  # ${URL} from the environment
    assert [t.name for t in store.order()] == ["customers", "invoices"]
    invoices = store.table("invoices")
    assert invoices.fields["id"].held_as is Mask.KEEP  # technical: kept
    assert invoices.fields["issued_on"].held_as is Mask.KEEP


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("category: email_address", "category: shoe_size"), "fields.email: category 'shoe_size'"),
        (("activity: account", "activity: astrology"), "activity: 'astrology' is not an activity"),
        (
            ("identity: {email: email}", "identity: {passport: email}"),
            "'passport' is not an identity",
        ),
        (("mask: keyed_hash", "mask: keep"), "an identity column cannot be masked with 'keep'"),
        (
            ("{customer_id: customers.id}", "{customer_id: people.id}"),
            "'people.id' is not a table.column",
        ),
        (("hold: {since: issued_on}", "hold: {since: paid_on}"), "'paid_on' is not a field"),
        (("url: ${URL}", "url: ${MISSING}"), r"\$\{MISSING\} is not set"),
        (("mask: keyed_hash", "mask: rot13"), "fields.email.mask"),
        (("kind: sql", "kind: ftp"), "stores.0.kind"),
    ],
)
def test_a_stores_file_that_does_not_fit_is_refused_with_where(
    change: tuple[str, str], message: str
) -> None:
    with pytest.raises(StoresFileError, match=message):
        _parse(BASE.replace(*change))


def test_a_cycle_of_references_is_refused() -> None:
    cyclic = BASE.replace(
        "        identity: {email: email}\n",
        "        identity: {email: email}\n        references: {id: invoices.id}\n",
    )
    with pytest.raises(StoresFileError, match="cycle"):
        _parse(cyclic)


def test_a_table_no_identity_reaches_is_refused() -> None:
    orphan = BASE.replace("        references: {customer_id: customers.id}\n", "")
    with pytest.raises(StoresFileError, match="its rows could never be found"):
        _parse(orphan)


def test_a_hold_needs_a_legal_hold_of_the_activity_for_the_table_s_categories() -> None:
    # the account's tax hold keeps invoices; a held table of e-mail addresses has none
    wrong = BASE.replace("issued_on: {category: invoices, mask: keep}", "issued_on: {}")
    with pytest.raises(StoresFileError, match="no legal hold for any category"):
        _parse(wrong)


def test_an_http_store_cannot_hold_and_needs_its_requests() -> None:
    http = BASE.replace(
        "kind: sql\n    url: ${URL}", "kind: http\n    base_url: http://127.0.0.1:1"
    )
    with pytest.raises(
        StoresFileError, match="only a sql store can keep masked rows|needs 'access'"
    ):
        _parse(http)


def test_not_yaml_is_refused() -> None:
    with pytest.raises(StoresFileError, match="not YAML"):
        _parse("stores: [")
