"""Issue 14 item 7: hosting customers' site files and the Host header, by hand-written cases.

A domain has one spelling, so a scope is found by the Host whatever its case, port or trailing
dot; what can never be a customer's domain (an address, a wildcard, one label) is refused with
what is wrong, and a malformed Host names no scope (the provider's own banner answers)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from privaat.domain.customer_sites import SiteFile, host_of, normalise_domain


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a1.example", "a1.example", id="plain"),
        pytest.param("WWW.A1.Example", "www.a1.example", id="upper-case"),
        pytest.param("a1.example.", "a1.example", id="trailing-dot"),
        pytest.param(" a1.test ", "a1.test", id="spaces"),
        pytest.param("München.de", "xn--mnchen-3ya.de", id="idna"),  # RFC 3492 as browsers do
    ],
)
def test_issue14_item7_a_domain_has_one_spelling(text: str, expected: str) -> None:
    assert normalise_domain(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        pytest.param("", "empty", id="empty"),
        pytest.param("https://a1.example", "no scheme", id="url"),
        pytest.param("a1.example:8080", "port", id="port"),
        pytest.param("*.a1.example", "wildcards", id="wildcard"),
        pytest.param("192.0.2.7", "IP address", id="ipv4"),
        pytest.param("localhost", "one label", id="one-label"),
        pytest.param("a..example", "not a valid domain", id="empty-label"),
        pytest.param("-a.example", "not a valid domain", id="leading-hyphen"),
        pytest.param("a_b.example", "not a valid domain", id="underscore"),
        pytest.param("x" * 64 + ".example", "not a valid domain", id="long-label"),
        pytest.param("a.b.123", "number", id="numeric-tld"),
    ],
)
def test_issue14_item7_what_is_no_domain_is_refused_saying_why(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        normalise_domain(text)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param("a1.test", "a1.test", id="plain"),
        pytest.param("a1.test:8123", "a1.test", id="port"),
        pytest.param("A1.TEST.:443", "a1.test", id="case-dot-port"),
        pytest.param(None, None, id="missing"),
        pytest.param("", None, id="empty"),
        pytest.param("127.0.0.1:8000", None, id="address"),
        pytest.param("[::1]:8000", None, id="ipv6"),
        pytest.param("a1.test:http", None, id="bad-port"),
        pytest.param("a1.test:80:80", None, id="two-ports"),
        pytest.param("a1 test", None, id="space"),
        pytest.param("a1.test/evil", None, id="path"),
        pytest.param("x" * 300, None, id="too-long"),
    ],
)
def test_issue14_item7_the_host_header_names_a_domain_or_nothing(
    header: str | None, expected: str | None
) -> None:
    assert host_of(header) == expected


def _category(**changes: Any) -> dict[str, Any]:
    text = {"nl": "Statistieken", "en": "Statistics"}
    return {
        "id": "analytics",
        "name": text,
        "purpose": text,
        "request": {"nl": "Statistiekcookies toestaan", "en": "Allow statistics cookies"},
        "companies": ["Google Ireland Limited"],
        "cookies": ["_ga", "_ga_<container-id>"],
        **changes,
    }


def _site(**changes: Any) -> dict[str, Any]:
    return {
        "customer": "bakkerij-a",
        "name": "Bakkerij A B.V.",
        "privacy_url": "https://a1.example/privacy",
        "domains": ["a1.example", "WWW.a1.example."],
        "categories": [_category()],
        **changes,
    }


def test_issue14_item7_a_site_file_declares_its_domains_in_their_one_spelling() -> None:
    site = SiteFile.model_validate(_site())
    assert site.domains == ("a1.example", "www.a1.example")
    assert site.category("analytics") is not None and site.category("social") is None


def _faults(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        SiteFile.model_validate(data)
    return [(".".join(map(str, e["loc"])), e["msg"]) for e in caught.value.errors()]


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        pytest.param({"domains": ["a1.example", "A1.example"]}, "domains", "twice", id="twice"),
        pytest.param({"domains": ["192.0.2.1", "a b"]}, "domains", "IP address", id="bad"),
        pytest.param({"domains": []}, "domains", "at least 1", id="none"),
        pytest.param({"customer": "Bakkerij A"}, "customer", "pattern", id="customer-id"),
        pytest.param({"privacy_url": "javascript:alert(1)"}, "privacy_url", "pattern", id="url"),
        pytest.param({"owner": "x"}, "owner", "Extra", id="unknown-field"),
        pytest.param(
            {"categories": [_category(), _category()]}, "categories", "twice", id="category-twice"
        ),
        pytest.param(
            {"categories": [_category(id="necessary")]},
            "categories.0.id",
            "always-on",
            id="necessary",
        ),
        pytest.param(
            {"categories": [_category(name={"nl": "Statistieken"})]},
            "categories.0.name.en",
            "required",
            id="no-english",
        ),
        pytest.param(
            {"categories": [_category(cookies=["_ga; Domain=evil"])]},
            "categories.0.cookies.0",
            "pattern",
            id="cookie-name",
        ),
    ],
)
def test_issue14_item7_a_bad_site_file_names_the_field_and_the_fault(
    changes: dict[str, Any], field: str, says: str
) -> None:
    faults = _faults(_site(**changes))
    assert any(where == field and says in message for where, message in faults), faults
