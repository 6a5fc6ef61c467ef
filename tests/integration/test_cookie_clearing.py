"""Withdrawal clears the category's cookies from the server (issue 14 item 4; LEGAL L42): the
answer to a choice that takes a category from yes to no expires every cookie the newest scan
of this host saw for it (name, domain, path; HttpOnly too) and the policy's names for it, and
only what the browser will honour; nothing when a category stays yes or was never given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from privaat.bootstrap import Context
from privaat.domain.tracker_scan import Pass, ScanObservations, SeenCookie
from privaat.services.tracker_scans import TrackerScans

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
PAST = "Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"


def seen(name: str, domain: str, path: str = "/", *, http_only: bool = False) -> SeenCookie:
    expires = AT + timedelta(days=390)
    return SeenCookie(name, domain, path, expires, http_only, False, "Lax", Pass.ACCEPTED, "/")


def store_scan(context: Context, site: str, *cookies: SeenCookie) -> None:
    observed = ScanObservations(site, AT, cookies, (), ())
    with context.unit_of_work() as uow:
        TrackerScans().save(uow, observed, [], pages_limit=10, finished_at=AT)


def choose(client: TestClient, *, carried: str | None = None, **choices: bool) -> list[str]:
    """Make a choice; ``carried``: a cookie the browser sends besides the visitor's."""
    headers = {}
    if carried is not None:
        headers["cookie"] = f"{carried}; privaat_visitor={client.cookies['privaat_visitor']}"
    body = {"choices": choices, "lang": "nl"}
    response = client.post("/consent/choices", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return [c for c in response.headers.get_list("set-cookie") if "Max-Age=0" in c]


def test_l42_withdrawing_analytics_expires_what_the_scan_saw_httponly_and_path_included(
    client: TestClient, context: Context
) -> None:
    # the TestClient calls http://testserver: the scan of that host is the one that counts
    store_scan(
        context,
        "http://testserver",
        seen("_ga", ".testserver"),
        seen("_ga_DEMO2", "testserver", "/example/", http_only=True),
        seen("_ga_X1", ".google.com"),  # another site's domain: this answer cannot clear it
        seen("fr", ".testserver"),  # the social category's: stays
        seen("flexibelt_ab", "testserver"),  # undeclared: no category to clear it under
    )
    store_scan(context, "https://other.example", seen("_ga_OTHER", "other.example"))
    assert choose(client, analytics=True, social=True) == []  # a first yes expires nothing
    expired = choose(client, carried="_ga_ABC=GS1.1.x", social=True)  # analytics: yes to no
    assert expired == [
        f"_ga=; {PAST}; Path=/",
        f"_ga=; {PAST}; Path=/; Domain=testserver",
        f"_ga_ABC=; {PAST}; Path=/",  # the pattern's name, as the request carried it
        f"_ga_ABC=; {PAST}; Path=/; Domain=testserver",
        f"_ga_DEMO2=; {PAST}; Path=/example/; HttpOnly",  # no script could delete this one
    ]


def test_l42_nothing_is_expired_while_a_category_stays_yes_or_was_never_given(
    client: TestClient, context: Context
) -> None:
    store_scan(context, "http://testserver", seen("_ga", "testserver"), seen("fr", "testserver"))
    assert choose(client, analytics=True) == []
    assert choose(client, analytics=True) == []  # the same yes again
    assert choose(client, analytics=True, social=True) == []  # another category added
    expired = choose(client, analytics=True)  # only social withdrawn
    assert {c.split("=", 1)[0] for c in expired} == {"fr", "NID"}
    assert choose(client, analytics=True) == []  # social was no already: a no again


def test_a_cookie_on_a_domain_the_host_does_not_match_is_never_sent(
    client: TestClient, context: Context
) -> None:
    store_scan(
        context,
        "http://testserver",
        seen("_ga_SUB", "shop.testserver"),  # host-only on another host
        seen("_ga_TLD", ".example.com"),  # a domain testserver is not under
    )
    choose(client, analytics=True)
    expired = choose(client)
    assert [c.split(";")[0] for c in expired] == ["_ga=", "_ga="]  # the declared name only
    assert not [c for c in expired if "example.com" in c or "shop." in c]


def test_without_a_scan_the_declared_names_are_still_expired(client: TestClient) -> None:
    choose(client, analytics=True)
    assert choose(client) == [f"_ga=; {PAST}; Path=/", f"_ga=; {PAST}; Path=/; Domain=testserver"]
