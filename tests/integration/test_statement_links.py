"""The statement names only what runs (issue 9 item 2): every link of /privacy, in Dutch and
English, is followed in the running app (a centre page after logging in), every mailto
names the privacy mailbox, and a channel without its page is not named at all."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.factories import customer
from tests.integration.test_pages_support import log_in

from privaat.bootstrap import Context, bootstrap
from privaat.domain.clock import FixedClock
from privaat.policy.loader import load_policy_file
from privaat.policy.schema import Channel, Policy, Text
from privaat.render.statement_context import Right
from privaat.settings import Settings, default_policy_file
from privaat.web.app import create_app, route_table
from privaat.web.channels import offered
from privaat.web.pages import privacy

_HREF = re.compile(r'href="([^"]*)"')
_MD_LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.fixture
def app_context(settings: Settings, engine: Engine, clock: FixedClock) -> Iterator[Context]:
    """The app as `privaat serve` starts it: the running version recorded."""
    context = bootstrap(
        settings, clock=clock, engine=engine, run_migrations=False, record_policy_version=True
    )
    yield context
    context.close()


def _hrefs(html: str) -> list[str]:
    return list(dict.fromkeys(unescape(href) for href in _HREF.findall(html)))


def _ids(html: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', html))


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_link_of_the_statement_works_in_the_running_app(
    app_context: Context, lang: str
) -> None:
    contact = app_context.policy.privacy_contact.email
    customer_account = customer(app_context)
    with TestClient(create_app(app_context), client=("145.97.0.1", 50000)) as client:
        html = client.get("/privacy", params={"lang": lang}).text
        markdown = client.get("/privacy.md", params={"lang": lang}).text
        hrefs = _hrefs(html)
        local = [h for h in hrefs if h.startswith("/")]
        # the Markdown twin links the same pages (its language links are to itself)
        local += [h for h in _MD_LINK.findall(markdown) if h.startswith("/") and h not in local]
        mails = [h for h in hrefs if h.startswith("mailto:")]
        fragments = [h for h in hrefs if h.startswith("#")]
        elsewhere = [h for h in hrefs if h not in {*local, *mails, *fragments}]
        # what the statement links in the app: the centre, the languages, the JSON twin
        assert (
            "/privacy.json" in local and f"/privacy?lang={'en' if lang == 'nl' else 'nl'}" in local
        )
        assert "/account/edit" in local  # rectification, a live centre page
        assert any(urlsplit(h).path == "/privacy/versions" for h in local)  # every version
        needs_log_in = []
        for href in local:
            answer = client.get(href, follow_redirects=False)
            if answer.status_code in (302, 303, 307):
                assert urlsplit(answer.headers["location"]).path == "/login", href
                needs_log_in.append(href)
            else:
                assert answer.status_code == 200, href
        assert needs_log_in, "the statement links no page of the privacy centre"
        assert all(urlsplit(h).path.startswith("/account") for h in needs_log_in)
        log_in(client, customer_account.email, customer_account.password)
        for href in needs_log_in:
            assert client.get(href, follow_redirects=False).status_code == 200, href
    # a fragment points at a section of the same page
    missing = [f for f in fragments if f[1:] not in _ids(html)]
    assert missing == []
    # the privacy mailbox, and only it, by e-mail
    assert mails, "the statement gives no e-mail address"
    addresses = {urlsplit(m).path for m in mails}
    assert addresses == {contact}
    # other sites only over https (the AP, a processor's own policy)
    assert all(h.startswith("https://") for h in elsewhere), elsewhere


@pytest.mark.parametrize(
    ("lang", "words"), [("nl", "cookie-instellingen"), ("en", "cookie settings")]
)
def test_l42_the_statement_links_the_cookie_settings_page_the_app_serves(
    app_context: Context, lang: str, words: str
) -> None:
    with TestClient(create_app(app_context)) as client:
        html = client.get("/privacy", params={"lang": lang}).text
        assert client.get("/cookies").status_code == 200
    # issue 10 item 7: the cookie settings page exists, so the statement names and links it
    assert words in html.lower()
    assert 'href="/cookies"' in html


def test_a_channel_is_named_once_its_page_exists() -> None:
    policy = load_policy_file(default_policy_file())
    bare = FastAPI()
    bare.state.policy = policy
    bare.include_router(privacy.router)
    with TestClient(bare) as client:
        before = client.get("/privacy", params={"lang": "en"}).text

    @bare.get("/cookies")
    def cookie_settings() -> PlainTextResponse:
        return PlainTextResponse("the cookie settings")

    bare.state.statement_channels = None  # as at a new start: the routes are read again
    with TestClient(bare) as client:
        after = client.get("/privacy", params={"lang": "en"}).text
    assert 'href="/cookies"' not in before
    assert 'href="/cookies"' in after  # website_analytics and social_plugins withdraw there


def test_the_channel_table_keeps_the_rows_whose_page_the_app_serves() -> None:
    app = FastAPI()

    @app.get("/account/edit")
    def edit() -> None: ...

    @app.post("/account/close")  # a form's target is no page to link
    def close() -> None: ...

    found = offered(app)
    assert dict(found.channels) == {
        (Channel.ACCOUNT_PREFERENCES, "important_notices"): "/account/edit"
    }
    assert dict(found.rights) == {Right.RECTIFICATION: "/account/edit"}
    assert found.centre is None
    assert found.href(Channel.ACCOUNT_PREFERENCES, "marketing_email") is None
    assert found.names(Channel.PRIVACY_EMAIL, "marketing_email")  # always there


def test_the_cli_reads_the_same_channels_as_the_app() -> None:
    found = offered(route_table())
    assert found.centre == "/account"
    assert dict(found.rights) == {
        Right.ACCESS: "/account",
        Right.RECTIFICATION: "/account/edit",
        Right.ERASURE: "/account/close",
        Right.OBJECTION: "/account/preferences",  # issue 10: the privacy choices page
        # issue 11: restriction and portability are requests, filed on the request form
        Right.RESTRICTION: "/requests/new",
        Right.PORTABILITY: "/requests/new",
    }
    assert dict(found.channels) == {
        (Channel.ACCOUNT_PREFERENCES, "important_notices"): "/account/edit",
        (Channel.ACCOUNT_PREFERENCES, None): "/account/preferences",
        (Channel.COOKIE_SETTINGS, None): "/cookies",  # issue 10 item 7: the cookie banner
        (Channel.UNSUBSCRIBE_LINK, None): "/unsubscribe",  # issue 10 item 5: RFC 8058
        (Channel.SUPPORT_ACCESS_PAGE, None): "/account/support-access",  # issue 12, L29
    }


# --- the privacy choices page serves exactly what the statement sends there (issue 10) ------

# by hand, from policies/flexibelt.yaml: consent or objection channels naming the account
# preferences; important_notices names them too, but its page is the edit page (the name)
PREFERENCE_CONSENTS = {
    "marketing_email",
    "device_precise_location",
    "support_account_access",
    "email_engagement",
    "group_transfer",
}
PREFERENCE_OBJECTIONS = {
    "marketing_selection",
    "voip_sync_telemetry",
    "datacenter_login_location",
    "app_hosting_analytics",
}


def _activity_parts(html: str) -> dict[str, str]:
    """Each activity's own section of the statement (its facts, its withdrawal line)."""
    parts = {}
    for match in re.finditer(r'<section[^>]* id="activity-(\w+)"', html):
        parts[match.group(1)] = html[match.start() : html.index("</section>", match.start())]
    return parts


def _sent_to(html: str, path: str) -> set[str]:
    """The activities whose consent or objection the statement sends to ``path``: a withdrawal
    line in the activity's section, or its line in the objection box (art. 21(4))."""
    withdrawn = {a for a, part in _activity_parts(html).items() if f'href="{path}"' in part}
    box = rf'<li><a href="#activity-(\w+)">[^<]*</a>: <a href="{re.escape(path)}">'
    return withdrawn | set(re.findall(box, html))


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_p4_l10_every_activity_the_statement_sends_to_the_preferences_has_its_row_there(
    app_context: Context, lang: str
) -> None:
    customer_account = customer(app_context)
    with TestClient(create_app(app_context), client=("145.97.0.1", 50000)) as client:
        statement = client.get("/privacy", params={"lang": lang}).text
        log_in(client, customer_account.email, customer_account.password)
        page = client.get("/account/preferences", params={"lang": lang}).text
    assert (
        _sent_to(statement, "/account/preferences") == PREFERENCE_CONSENTS | PREFERENCE_OBJECTIONS
    )
    rows = set(re.findall(r'<section class="activity choice" id="(consent|objection)-(\w+)"', page))
    assert rows == {("consent", a) for a in PREFERENCE_CONSENTS} | {
        ("objection", a) for a in PREFERENCE_OBJECTIONS
    }
    # the name shown with comments stays on the edit page, where it is changed
    assert _sent_to(statement, "/account/edit") == {"important_notices"}
    assert "important_notices" not in page


# --- just in time: the sign-up page tells what the account activity does, where it asks ------


def _with_account_notice(notice: Text | None) -> Policy:
    shipped = load_policy_file(default_policy_file())
    activities = tuple(
        a.model_copy(update={"notice": notice}) if a.id == "account" else a
        for a in shipped.activities
    )
    return shipped.model_copy(update={"activities": activities})


def _sign_up_pages(
    settings: Settings, engine: Engine, clock: FixedClock, policy: Policy
) -> tuple[str, str, str]:
    context = bootstrap(settings, clock=clock, engine=engine, policy=policy, run_migrations=False)
    with TestClient(create_app(context)) as client:
        dutch = client.get("/signup", params={"lang": "nl"}).text
        english = client.get("/signup", params={"lang": "en"}).text
        statement = client.get("/privacy", params={"lang": "nl"}).text
    context.close()
    return dutch, english, statement


def _notice_of(html: str) -> str:
    found = re.search(r'<p id="signup-notice">(.*?)</p>', html, re.S)
    assert found, "the sign-up page has no notice"
    return found.group(1)


def test_the_sign_up_page_shows_the_account_notice_and_links_the_statement(
    settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    notice = Text(
        nl="We gebruiken uw gegevens om uw account te maken en uw diensten te leveren.",
        en="We use your details to create your account and provide your services.",
    )
    dutch, english, statement = _sign_up_pages(
        settings, engine, clock, _with_account_notice(notice)
    )
    assert notice.nl in _notice_of(dutch) and notice.en in _notice_of(english)
    # the link goes to the account's own section of the full statement, in the same language
    assert 'href="/privacy?lang=nl#activity-account"' in _notice_of(dutch)
    assert 'href="/privacy?lang=en#activity-account"' in _notice_of(english)
    assert 'id="activity-account"' in statement


def test_without_a_notice_the_sign_up_page_keeps_its_own_words(
    settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    _dutch, english, _statement = _sign_up_pages(
        settings, engine, clock, _with_account_notice(None)
    )
    assert "We ask only what we need for your account." in _notice_of(english)
    assert 'href="/privacy?lang=en#activity-account"' in _notice_of(english)
