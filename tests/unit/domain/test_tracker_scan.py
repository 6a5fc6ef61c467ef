"""The tracker scan's comparison with the cookie table (issue 14 items 3, 4; LEGAL L39, L42,
L44, L45), with hand-written observations and expectations; and which expiries a first-party
response may send for a withdrawn category (RFC 6265 §5.1.3 domain-match)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from privaat.domain.tracker_scan import (
    CookieExpiry,
    Declaration,
    Finding,
    FindingKind,
    Pass,
    ScanObservations,
    SeenCookie,
    SeenRequest,
    SeenStorage,
    StorageArea,
    declarations,
    domain_matches,
    expiry_cookies,
    findings,
    name_matches,
)
from privaat.policy.loader import load_policy_file
from privaat.policy.period import Period
from privaat.policy.schema import StorageKind

SHIPPED = Path(__file__).resolve().parents[3] / "policies" / "flexibelt.yaml"
AT = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
SITE = "https://www.flexibelt.example"
TABLE = (
    Declaration("privaat_visitor", "necessary", "essential_cookies", StorageKind.COOKIE,
                Period(months=6)),
    Declaration("privaat_csrf", "necessary", "essential_cookies", StorageKind.COOKIE, None),
    Declaration("_ga", "analytics", "website_analytics", StorageKind.COOKIE, Period(months=13)),
    Declaration("_ga_<container-id>", "analytics", "website_analytics", StorageKind.COOKIE,
                Period(months=13)),
    Declaration("fr", "social", "social_plugins", StorageKind.COOKIE, Period(days=90)),
)  # fmt: skip


def cookie(
    name: str,
    scan_pass: Pass = Pass.ACCEPTED,
    *,
    domain: str = "www.flexibelt.example",
    path: str = "/",
    days: int | None = 30,
    http_only: bool = False,
    page: str = SITE + "/",
) -> SeenCookie:
    expires = None if days is None else AT + timedelta(days=days)
    return SeenCookie(name, domain, path, expires, http_only, False, "Lax", scan_pass, page)


def scan(
    *cookies: SeenCookie, storage: Sequence[SeenStorage] = (), requests: Sequence[SeenRequest] = ()
) -> ScanObservations:
    return ScanObservations(SITE, AT, tuple(cookies), tuple(storage), tuple(requests))


def kinds(found: list[Finding]) -> set[tuple[FindingKind, str]]:
    return {(f.kind, f.name) for f in found if f.violation}


@pytest.mark.parametrize(
    ("pattern", "name", "matches"),
    [
        pytest.param("_ga_<container-id>", "_ga_DEMO1", True, id="placeholder-filled"),
        pytest.param("_ga_<container-id>", "_ga_", False, id="placeholder-empty"),
        pytest.param("_ga_<container-id>", "_ga", False, id="prefix-only"),
        pytest.param("_ga_<container-id>", "x_ga_DEMO1", False, id="not-at-start"),
        pytest.param("_ga", "_ga", True, id="exact"),
        pytest.param("_ga", "_gat", False, id="exact-is-not-prefix"),
        pytest.param("a.<x>.b", "a.1.b", True, id="dot-is-literal"),
        pytest.param("a.<x>.b", "aX1Xb", False, id="dot-not-any-char"),
        pytest.param("<site>_<id>", "eu_42", True, id="two-placeholders"),
    ],
)
def test_names_match_the_tables_patterns(pattern: str, name: str, matches: bool) -> None:
    assert name_matches(pattern, name) is matches


def test_l39_declared_consented_cookies_after_accepteren_are_no_finding() -> None:
    found = findings(
        scan(cookie("_ga", days=390), cookie("_ga_DEMO1", days=390), cookie("fr", days=90)),
        TABLE,
    )
    assert [f for f in found if f.violation] == []
    # the table's rows that never came are told, not failed
    assert {(f.kind, f.name) for f in found} == {
        (FindingKind.DECLARED_NOT_SEEN, "privaat_visitor"),
        (FindingKind.DECLARED_NOT_SEEN, "privaat_csrf"),
    }


def test_l39_an_undeclared_cookie_before_a_choice_is_undeclared_and_too_early() -> None:
    found = findings(scan(cookie("leaky_id", Pass.BEFORE, page=SITE + "/leaky")), TABLE)
    assert kinds(found) == {
        (FindingKind.UNDECLARED_COOKIE, "leaky_id"),
        (FindingKind.COOKIE_BEFORE_CONSENT, "leaky_id"),
    }
    early = next(f for f in found if f.kind is FindingKind.COOKIE_BEFORE_CONSENT)
    assert early.page == SITE + "/leaky" and early.category is None


def test_l39_l44_an_analytics_cookie_before_a_choice_or_after_refusal_is_a_violation() -> None:
    found = findings(scan(cookie("_ga", Pass.BEFORE), cookie("_ga_X9", Pass.REFUSED)), TABLE)
    assert kinds(found) == {
        (FindingKind.COOKIE_BEFORE_CONSENT, "_ga"),
        (FindingKind.COOKIE_AFTER_REFUSAL, "_ga_X9"),
    }
    assert {f.category for f in found if f.violation} == {"analytics"}


def test_a_necessary_cookie_may_come_in_every_pass() -> None:
    found = findings(
        scan(
            *(cookie("privaat_visitor", p, days=180) for p in Pass),
            cookie("privaat_csrf", days=None),
        ),
        TABLE,
    )
    assert kinds(found) == set()


def test_l39_l45_a_third_party_request_before_consent_or_after_refusal_is_a_violation() -> None:
    stats, social = "https://stats.example", "https://social.example"
    requests = [
        SeenRequest(stats, stats + "/collect", Pass.BEFORE, SITE + "/leaky"),
        SeenRequest(social, social + "/b.js", Pass.REFUSED, SITE + "/"),
        SeenRequest(stats, stats + "/a.js", Pass.ACCEPTED, SITE + "/"),
    ]
    found = findings(scan(requests=requests), TABLE)
    assert kinds(found) == {
        (FindingKind.REQUEST_BEFORE_CONSENT, "https://stats.example/collect"),
        (FindingKind.REQUEST_AFTER_REFUSAL, "https://social.example/b.js"),
    }


@pytest.mark.parametrize(
    ("days", "longer"),
    [
        pytest.param(390, False, id="13-months-as-the-stand-in"),
        pytest.param(397, False, id="within-a-day-of-13-months"),  # 3 Jan 2028 is 396 days on
        pytest.param(398, True, id="two-days-past"),
        pytest.param(730, True, id="two-years-as-google-defaults"),
        pytest.param(None, False, id="session-cookie"),
    ],
)
def test_a_lifetime_longer_than_declared_is_found(days: int | None, longer: bool) -> None:
    found = findings(scan(cookie("_ga", days=days)), TABLE)
    assert ((FindingKind.LIFETIME_LONGER, "_ga") in kinds(found)) is longer


def test_a_persistent_cookie_declared_as_a_session_cookie_lives_longer() -> None:
    found = findings(scan(cookie("privaat_csrf", days=1)), TABLE)
    [longer] = [f for f in found if f.kind is FindingKind.LIFETIME_LONGER]
    assert longer.detail == "1 days, declared session"


def test_an_undeclared_storage_key_is_found_and_early_in_the_first_pass() -> None:
    storage = [
        SeenStorage(StorageArea.LOCAL, "tracker", SITE, Pass.BEFORE, SITE + "/"),
        SeenStorage(StorageArea.SESSION, "tracker", SITE, Pass.ACCEPTED, SITE + "/"),
    ]
    assert kinds(findings(scan(storage=storage), TABLE)) == {
        (FindingKind.UNDECLARED_STORAGE, "tracker"),
        (FindingKind.STORAGE_BEFORE_CONSENT, "tracker"),
    }


def test_the_shipped_policys_table_has_the_categories_of_the_banner() -> None:
    table = declarations(load_policy_file(SHIPPED))
    by_name = {d.pattern: d.category for d in table}
    assert by_name["privaat_visitor"] == "necessary"
    assert by_name["_ga_<container-id>"] == "analytics"
    assert by_name["fr"] == "social" and by_name["VISITOR_INFO1_LIVE"] == "embeds"
    assert "open-pixel" not in by_name  # an e-mail pixel stores nothing on a website


# --- item 4: which expiries a first-party response may send ---------------------------------


@pytest.mark.parametrize(
    ("host", "domain", "matches"),
    [
        pytest.param("www.example.com", "example.com", True, id="subdomain"),
        pytest.param("www.example.com", ".example.com", True, id="leading-dot"),
        pytest.param("example.com", "example.com", True, id="same"),
        pytest.param("example.com", "www.example.com", False, id="parent-of-cookie"),
        pytest.param("badexample.com", "example.com", False, id="suffix-not-label"),
        pytest.param("www.example.com", "google.com", False, id="third-party"),
        pytest.param("127.0.0.1", "127.0.0.1", True, id="ip-same"),
        pytest.param("127.0.0.1", "0.0.1", False, id="ip-never-a-suffix"),
    ],
)
def test_rfc6265_domain_match(host: str, domain: str, matches: bool) -> None:
    assert domain_matches(host, domain) is matches


def test_l42_every_seen_cookie_of_the_category_on_this_host_is_expired_httponly_too() -> None:
    seen = [
        cookie("_ga", domain=".flexibelt.example"),
        cookie("_ga_SRV", domain="www.flexibelt.example", path="/example/", http_only=True),
        cookie("_ga_OTHER", domain="shop.flexibelt.example"),  # host-only on another host
        cookie("_ga", domain=".google.com"),  # another site's: the browser would ignore it
        cookie("fr", domain=".flexibelt.example"),  # another category
        cookie("leaky_id", domain="www.flexibelt.example"),  # undeclared: no category
    ]
    out = expiry_cookies("www.flexibelt.example", "analytics", TABLE, seen, secure=True)
    assert [(e.name, e.domain, e.path) for e in out] == [
        ("_ga", None, "/"),
        ("_ga", "flexibelt.example", "/"),
        ("_ga", "www.flexibelt.example", "/"),
        ("_ga_SRV", None, "/example/"),
    ]
    srv = next(e for e in out if e.name == "_ga_SRV")
    assert srv.header(secure=True) == (
        "_ga_SRV=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/example/; Secure; "
        "HttpOnly"
    )


def test_l42_a_pattern_is_expanded_from_the_names_the_request_carries() -> None:
    out = expiry_cookies(
        "www.flexibelt.example", "analytics", TABLE, [], ["_ga_ABC", "privaat_visitor", "x"],
        secure=False,
    )  # fmt: skip
    assert [(e.name, e.domain) for e in out] == [
        ("_ga", None),
        ("_ga", "www.flexibelt.example"),
        ("_ga_ABC", None),
        ("_ga_ABC", "www.flexibelt.example"),
    ]
    assert "Secure" not in out[0].header(secure=False)


def test_a_secure_cookie_is_expired_only_over_https() -> None:
    secure = SeenCookie(
        "_ga_S", "www.flexibelt.example", "/", None, False, True, "Lax", Pass.ACCEPTED, SITE
    )
    over_http = expiry_cookies("www.flexibelt.example", "analytics", TABLE, [secure], secure=False)
    assert "_ga_S" not in {e.name for e in over_http}
    over_https = expiry_cookies("www.flexibelt.example", "analytics", TABLE, [secure], secure=True)
    assert "_ga_S" in {e.name for e in over_https}


def test_on_an_ip_host_only_host_only_expiries_are_sent() -> None:
    seen = [cookie("_ga_DEMO2", domain="127.0.0.1", path="/example/", http_only=True)]
    out = expiry_cookies("127.0.0.1", "analytics", TABLE, seen, secure=False)
    assert out == [
        CookieExpiry("_ga", None, "/"),
        CookieExpiry("_ga_DEMO2", None, "/example/", http_only=True),
    ]


def test_an_unknown_category_or_necessary_one_left_alone_gives_nothing_to_expire() -> None:
    assert expiry_cookies("www.flexibelt.example", "embeds", TABLE, [], secure=True) == []
