"""The cookie table tells the truth (issue 9 item 2; P14, Tw 11.7a, art. 13(1)(c)): every cookie
the app sets, walking its pages as a visitor, a customer and a staff member, over http and
https, is declared in the policy file by its name (a ``__Host-`` prefix stripped), under an
activity that runs; a cookie the policy calls a session cookie has no lifetime of its own,
and none outlives the lifetime declared for it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.factories import PASSWORD, customer
from tests.integration.test_console_roles import PASSWORD as STAFF_PASSWORD
from tests.integration.test_console_roles import enrolled_staff

from privaat.bootstrap import Context, bootstrap
from privaat.domain.clock import FixedClock
from privaat.domain.principal import StaffRole
from privaat.policy.schema import Cookie, Policy
from privaat.settings import Mode, Settings, default_policy_file
from privaat.web.app import create_app

_TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')
_HOST = "__Host-"


class Jar:
    """Every Set-Cookie the app answered with: name (prefix stripped) → its attributes."""

    def __init__(self) -> None:
        self.seen: dict[str, list[dict[str, str]]] = {}

    def keep(self, response: Any) -> Any:
        for header in response.headers.get_list("set-cookie"):
            name_value, *attributes = (part.strip() for part in header.split(";"))
            name = name_value.split("=", 1)[0]
            fields = {}
            for attribute in attributes:
                key, _eq, value = attribute.partition("=")
                fields[key.lower()] = value
            fields["prefixed"] = "yes" if name.startswith(_HOST) else ""
            self.seen.setdefault(name.removeprefix(_HOST), []).append(fields)
        return response


def _get(client: TestClient, jar: Jar, path: str, **params: str) -> str:
    response = jar.keep(client.get(path, params=params, follow_redirects=False))
    assert response.status_code in (200, 303, 307), (path, response.status_code)
    return str(response.text)


def _post(client: TestClient, jar: Jar, path: str, data: dict[str, str], page: str) -> Any:
    found = _TOKEN.search(_get(client, jar, page))
    assert found, f"no form on {page}"
    form = {**data, "csrf_token": unescape(found.group(1))}
    return jar.keep(client.post(path, data=form, follow_redirects=False))


def _walk_as_visitor_and_customer(client: TestClient, jar: Jar, email: str) -> None:
    for path in ("/", "/privacy", "/privacy.md", "/privacy.json", "/privacy/versions"):
        _get(client, jar, path)
    _get(client, jar, "/signup", lang="en")
    signed_up = _post(
        client,
        jar,
        "/signup",
        {
            "email": "nieuw@example.nl",
            "password": PASSWORD,
            "name": "Nieuwe Klant",
            "language": "nl",
            "age_declaration": "on",
        },  # fmt: skip
        "/signup",
    )
    assert signed_up.status_code == 303, signed_up.text
    _get(client, jar, "/signup/sent")
    switched = _post(client, jar, "/language", {"lang": "en", "next": "/"}, "/")
    assert switched.status_code == 303
    _get(client, jar, "/login")
    logged_in = _post(client, jar, "/login", {"email": email, "password": PASSWORD}, "/login")
    assert logged_in.status_code == 303, logged_in.text
    for path in ("/account", "/account/edit", "/account/logins", "/account/password",
                 "/account/close"):  # fmt: skip
        _get(client, jar, path)
    logged_out = _post(client, jar, "/logout", {}, "/logout")
    assert logged_out.status_code == 303
    # the API sets the same session cookie
    api = jar.keep(client.post("/api/v1/session", json={"email": email, "password": PASSWORD}))
    assert api.status_code == 204


def _declared(policy: Policy) -> dict[str, tuple[str, Cookie]]:
    return {
        cookie.name: (activity.id, cookie)
        for activity in policy.activities
        for cookie in activity.cookies
    }


def _check(jar: Jar, context: Context) -> None:
    declared = _declared(context.policy)
    undeclared = sorted(set(jar.seen) - set(declared))
    assert undeclared == [], f"cookies the app sets that the policy does not declare: {undeclared}"
    now = context.clock.now()
    for name, settings in jar.seen.items():
        _activity, cookie = declared[name]
        for fields in settings:
            if "expires" in fields and "max-age" not in fields:
                continue  # a deletion (expires in the past)
            max_age = int(fields["max-age"]) if "max-age" in fields else None
            if cookie.lifetime is None:
                assert max_age is None or max_age == 0, f"{name}: declared a session cookie"
            else:
                allowed = (cookie.lifetime.after(now) - now).total_seconds()
                assert max_age is not None, (
                    f"{name}: declared for {cookie.lifetime}, set for a session"
                )
                assert max_age <= allowed, f"{name}: {max_age} s, declared {cookie.lifetime}"


SHOP = default_policy_file().parent / "webwinkel-voorbeeld.yaml"  # another provider's file


@pytest.fixture(params=["http", "https"])
def scheme(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _site(
    scheme: str, database_url: str, engine: Engine, clock: FixedClock, var: Path, policy: Path
) -> tuple[Context, TestClient]:
    base = "http://testserver" if scheme == "http" else "https://privacy.example.nl"
    settings = Settings(
        mode=Mode.TEST, database_url=database_url, var_dir=var, base_url=base, policy_file=policy
    )
    context = bootstrap(settings, clock=clock, engine=engine, run_migrations=False)
    return context, TestClient(create_app(context), base_url=base, client=("145.97.0.1", 50000))


@pytest.fixture
def site(
    scheme: str, database_url: str, engine: Engine, clock: FixedClock, tmp_path: Path
) -> Iterator[tuple[Context, TestClient]]:
    context, client = _site(
        scheme, database_url, engine, clock, tmp_path / "var", default_policy_file()
    )
    with client:
        yield context, client
    context.close()


@pytest.fixture(params=["flexibelt", "webwinkel-voorbeeld"])
def any_site(
    request: pytest.FixtureRequest,
    scheme: str,
    database_url: str,
    engine: Engine,
    clock: FixedClock,
    tmp_path: Path,
) -> Iterator[tuple[Context, TestClient]]:
    policy = default_policy_file() if request.param == "flexibelt" else SHOP
    context, client = _site(scheme, database_url, engine, clock, tmp_path / "var", policy)
    with client:
        yield context, client
    context.close()


def test_p14_every_cookie_of_the_pages_and_the_api_is_declared(
    any_site: tuple[Context, TestClient],
) -> None:
    context, client = any_site
    account = customer(context)
    jar = Jar()
    _walk_as_visitor_and_customer(client, jar, account.email)
    # the walk reached what it was meant to: the session, the form and the language cookie
    assert {"privaat_session", "privaat_csrf", "privaat_lang"} <= set(jar.seen)
    if str(client.base_url).startswith("https"):
        assert all(f["prefixed"] for f in jar.seen["privaat_session"])
    _check(jar, context)


def test_p14_the_consoles_staff_cookie_is_declared_under_staff_accounts(
    site: tuple[Context, TestClient], clock: FixedClock
) -> None:
    context, client = site
    staff = enrolled_staff(context, StaffRole.PRIVACY_OFFICER)
    clock.advance(timedelta(seconds=30))  # the enrolment spent this step's code
    jar = Jar()
    code = pyotp.TOTP(staff.secret).at(clock.now())
    logged_in = _post(
        client,
        jar,
        "/console/login",
        {"email": staff.email, "password": STAFF_PASSWORD, "code": code, "next": "/console"},
        "/console/login",
    )
    assert logged_in.status_code == 303, logged_in.text
    for path in ("/console", "/console/ropa", "/console/audit", "/console/outbox"):
        _get(client, jar, path)
    assert "privaat_console" in jar.seen
    staff_cookies = {c.name for c in context.policy.activity("staff_accounts").cookies}
    assert "privaat_console" in staff_cookies, (
        "the console's staff cookie is not in the cookie table: declare it under staff_accounts"
    )
    _check(jar, context)
