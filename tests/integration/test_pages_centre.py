"""The privacy centre of a logged-in customer (issue 8 item 3): log-in and log-out with the
API's session cookie, "my data" grouped by activity from the policy and the data registry,
rectification (GDPR art. 16), recent log-ins (P9), password change (P2, P3), closing the
account with what is kept (P20); refused forms re-render and write nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from tests.factories import Customer, customer
from tests.integration.test_pages_support import (
    PAYLOADS,
    error_of,
    log_in,
    row_counts,
    submit,
    value_of,
    without_tokens,
)

from privaat.bootstrap import Context
from privaat.domain.activities import ACCOUNT, LOGIN, LOGIN_LOCATION, MINOR_PROTECTION, NOTICES
from privaat.policy.wording import legal_basis_words, period_in_words, retention_in_words
from privaat.render.policy_text import PUBLIC_RETENTION
from privaat.services.credentials import MAX_ATTEMPTS_PER_ACCOUNT
from privaat.store.tables import accounts, sessions

# the attempt limiter records every password guess before it is checked (issue 5), and each
# read is access-logged: those rows are the security record of a refusal, not its writing
SECURITY_RECORDS = {"login_attempts", "access_log"}


def counts(engine: Engine) -> dict[str, int]:
    return {k: v for k, v in row_counts(engine).items() if k not in SECURITY_RECORDS}


@pytest.fixture
def jan(context: Context) -> Customer:
    return customer(context, street="Dorpsstraat 1", city="Zoetermeer", postal_code="2721 NA")


@pytest.fixture
def browser(client: TestClient, jan: Customer) -> TestClient:
    """A browser logged in as ``jan`` through the log-in page."""
    log_in(client, jan.email, jan.password)
    return client


def section(html: str, activity: str) -> str:
    start = html.index(f'<section class="activity" id="activity-{activity}"')
    return html[start : html.index("</section>", start)]


# --- log-in and log-out ------------------------------------------------------------------


def test_p2_log_in_sets_the_apis_session_cookie_and_the_api_accepts_it(
    client: TestClient, jan: Customer
) -> None:
    response = log_in(client, jan.email, jan.password)
    assert response.headers["location"] == "/account"
    cookie = response.headers["set-cookie"]
    assert "privaat_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Path=/" in cookie
    assert client.get("/api/v1/account").json()["email"] == jan.email


def test_p2_a_wrong_password_keeps_the_address_and_says_the_same_as_an_unknown_one(
    client: TestClient, jan: Customer
) -> None:
    client.get("/")
    wrong = submit(client, "/login", {"email": jan.email, "password": "not the password"})
    unknown = submit(client, "/login", {"email": "nobody@example.nl", "password": "whatever1"})
    assert wrong.status_code == unknown.status_code == 422
    assert "Het e-mailadres of het wachtwoord klopt niet." in wrong.text
    assert value_of(wrong.text, "login-email") == jan.email
    assert "not the password" not in wrong.text and "privaat_session" not in str(wrong.headers)
    assert wrong.text.count("klopt niet") == unknown.text.count("klopt niet")


def test_p2_log_in_returns_only_to_a_page_of_this_site(client: TestClient, jan: Customer) -> None:
    response = submit(
        client,
        "/login",
        {"email": jan.email, "password": jan.password, "next": "https://evil.example/"},
    )
    assert response.headers["location"] == "/account"


def test_p2_a_centre_page_sends_the_anonymous_to_log_in_and_back(client: TestClient) -> None:
    response = client.get("/account/logins", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/account/logins"
    assert 'name="next" value="/account/logins"' in client.get(response.headers["location"]).text


def test_p2_log_out_ends_the_session_on_the_server_and_in_the_browser(
    browser: TestClient, engine: Engine
) -> None:
    response = submit(browser, "/logout", {}, page="/account")
    assert response.status_code == 303 and response.headers["location"] == "/?notice=logged_out"
    assert 'privaat_session=""' in response.headers["set-cookie"]
    with engine.connect() as connection:
        assert connection.execute(select(sessions)).first() is None
    assert "U bent uitgelogd." in browser.get("/?notice=logged_out").text


# --- my data -------------------------------------------------------------------------------


@pytest.mark.parametrize("activity", [ACCOUNT, LOGIN, NOTICES, MINOR_PROTECTION, LOGIN_LOCATION])
def test_item3_my_data_shows_each_activity_with_its_basis_and_retention_from_the_policy(
    browser: TestClient, context: Context, activity: str
) -> None:
    declared = context.policy.activity(activity)
    group = section(browser.get("/account").text, activity)
    assert declared.name.nl in group
    assert legal_basis_words(declared.legal_basis, "nl") in group
    assert retention_in_words(declared.retention, "nl", PUBLIC_RETENTION) in group


@pytest.mark.parametrize(
    ("held", "column"),
    [
        pytest.param("email", accounts.c.email_enc, id="email"),
        pytest.param("street", accounts.c.street_enc, id="street"),
        pytest.param("display_name", accounts.c.display_name_enc, id="display_name"),
        pytest.param("birth_date", accounts.c.birth_date_enc, id="birth_date"),
        pytest.param("email_verified", accounts.c.email_verified, id="email_verified"),
    ],
)
def test_item3_each_value_sits_under_the_activity_the_data_registry_gives_its_column(
    browser: TestClient, held: str, column: Any
) -> None:
    activity = column.info["personal"].activity
    assert f'id="held-{held}"' in section(browser.get("/account").text, activity)


def test_item3_my_data_shows_the_values_and_the_legal_hold_of_the_account(
    browser: TestClient, context: Context, jan: Customer
) -> None:
    group = section(browser.get("/account").text, ACCOUNT)
    for value in (jan.email, "Dorpsstraat 1", "Zoetermeer", "2721 NA"):
        assert value in group
    hold = context.policy.activity(ACCOUNT).retention.legal_holds[0]
    assert (
        period_in_words(hold.period, "nl") in group and hold.ground.nl.lower()[:20] in group.lower()
    )


def test_p9_my_data_and_the_log_ins_page_show_where_the_log_in_came_from(
    browser: TestClient,
) -> None:
    for path in ("/account", "/account/logins"):
        html = browser.get(path).text
        assert "145.97.0.1" in html and "Nederland" in html


def test_item3_another_providers_policy_names_its_own_activities(
    context: Context, client: TestClient, jan: Customer, tmp_path: Any
) -> None:
    from privaat.policy.loader import load_policy_file
    from privaat.settings import default_policy_file
    from privaat.web.app import create_app

    tea = load_policy_file(default_policy_file().parent / "webwinkel-voorbeeld.yaml")
    context.policy = tea  # the pages read the policy of the running context
    with TestClient(create_app(context), client=("145.97.0.1", 50000)) as other:
        log_in(other, jan.email, jan.password)
        html = other.get("/account").text
    assert tea.activity(ACCOUNT).name.nl in section(html, ACCOUNT)
    assert tea.controller.name in html


# --- rectification -------------------------------------------------------------------------


def test_art16_a_correction_is_saved_and_shown(browser: TestClient) -> None:
    form = _edit_values(browser)
    response = submit(browser, "/account/edit", {**form, "city": "Delft"})
    assert response.headers["location"] == "/account?notice=saved"
    html = browser.get(response.headers["location"]).text
    assert "Uw wijzigingen zijn opgeslagen." in html and "Delft" in section(html, ACCOUNT)


def test_art16_an_emptied_optional_field_is_cleared(browser: TestClient) -> None:
    submit(browser, "/account/edit", {**_edit_values(browser), "street": ""})
    assert value_of(browser.get("/account/edit").text, "edit-street") == ""


def test_bad_input_a_refused_correction_keeps_the_input_and_writes_nothing(
    browser: TestClient, engine: Engine
) -> None:
    before = counts(engine)
    response = submit(
        browser, "/account/edit", {**_edit_values(browser), "postal_code": "1", "city": "Delft"}
    )
    assert response.status_code == 422
    assert "Nederlandse postcode" in error_of(response.text, "edit-postal_code")
    assert value_of(response.text, "edit-city") == "Delft"
    assert counts(engine) == before
    assert value_of(browser.get("/account/edit").text, "edit-city") == "Zoetermeer"


def test_item3_an_email_change_needs_the_current_password(
    browser: TestClient, engine: Engine, context: Context
) -> None:
    before = counts(engine)
    response = submit(browser, "/account/edit", {**_edit_values(browser), "email": "n@example.nl"})
    assert response.status_code == 422
    assert "huidige wachtwoord" in error_of(response.text, "edit-current_password")
    assert counts(engine) == before and list(context.outbox.pending()) == _verify_mail(context)


def test_item3_a_wrong_password_leaves_the_other_changes_of_the_form_unwritten(
    browser: TestClient, jan: Customer
) -> None:
    response = submit(
        browser,
        "/account/edit",
        {
            **_edit_values(browser),
            "email": "new@example.nl",
            "current_password": "not my password",
            "city": "Delft",
        },
    )
    assert response.status_code == 422
    assert "Dit is niet uw huidige wachtwoord." in error_of(response.text, "edit-current_password")
    assert "not my password" not in response.text
    html = browser.get("/account/edit").text
    assert value_of(html, "edit-city") == "Zoetermeer" and value_of(html, "edit-email") == jan.email


def test_item3_an_email_change_sends_the_link_and_takes_effect_only_then(
    browser: TestClient, context: Context, jan: Customer
) -> None:
    response = submit(
        browser,
        "/account/edit",
        {**_edit_values(browser), "email": "new@example.nl", "current_password": jan.password},
    )
    assert response.headers["location"] == "/account?notice=email_requested"
    sent = {(template, mail.to) for _id, template, mail in context.outbox.pending()}
    assert ("confirm_email_change", "new@example.nl") in sent
    assert value_of(browser.get("/account/edit").text, "edit-email") == jan.email


@pytest.mark.parametrize("payload", PAYLOADS)
def test_item5_payloads_saved_in_every_text_field_are_shown_escaped_everywhere(
    browser: TestClient, payload: str
) -> None:
    fields = dict.fromkeys(("name", "street", "city", "display_name"), payload)
    response = submit(browser, "/account/edit", {**_edit_values(browser), **fields})
    assert response.status_code == 303
    for path in ("/account", "/account/edit"):
        html = without_tokens(browser.get(path).text)
        assert "<script>alert(1)" not in html and "<img src=x" not in html, path
        # a template engine that evaluated {{7*7}} would show 49 in a cell or a field (not
        # "49" anywhere: a generated address like klant49@example.nl holds it by chance)
        assert ">49<" not in html and 'value="49"' not in html, path
    edit = browser.get("/account/edit").text
    for name in fields:
        assert value_of(edit, f"edit-{name}") == payload


# --- password and closing --------------------------------------------------------------------


def test_p2_a_wrong_current_password_is_refused_next_to_its_field(
    browser: TestClient, engine: Engine
) -> None:
    before = counts(engine)
    response = submit(
        browser,
        "/account/password",
        {"current_password": "not my password", "new_password": "a new long password"},
    )
    assert response.status_code == 422
    assert "Dit is niet uw huidige wachtwoord." in error_of(
        response.text, "password-current_password"
    )
    assert "a new long password" not in response.text
    assert counts(engine) == before


def test_p3_a_password_change_keeps_this_session_and_ends_the_others(
    browser: TestClient, context: Context, jan: Customer, engine: Engine
) -> None:
    with TestClient(browser.app, client=("145.97.0.2", 50000)) as other:
        log_in(other, jan.email, jan.password)
        response = submit(
            browser,
            "/account/password",
            {"current_password": jan.password, "new_password": "a new long password"},
        )
        assert response.headers["location"] == "/account?notice=password_changed"
        assert browser.get("/account").status_code == 200
        assert other.get("/account", follow_redirects=False).status_code == 303


def test_p20_the_close_page_says_from_the_policy_what_is_kept_and_how_long(
    browser: TestClient, context: Context
) -> None:
    html = browser.get("/account/close").text
    kept = html[html.index('id="close-kept"') :]
    account = context.policy.activity(ACCOUNT)
    assert account.name.nl in kept
    assert retention_in_words(account.retention, "nl", PUBLIC_RETENTION) in kept
    assert period_in_words(account.retention.legal_holds[0].period, "nl") in kept
    security = context.policy.activity("security_logging")
    assert retention_in_words(security.retention, "nl", PUBLIC_RETENTION) in kept


def test_p20_closing_with_a_wrong_password_changes_nothing(
    browser: TestClient, engine: Engine
) -> None:
    before = counts(engine)
    response = submit(browser, "/account/close", {"password": "not my password"})
    assert response.status_code == 422
    assert "Dit is niet uw huidige wachtwoord." in error_of(response.text, "close-password")
    assert counts(engine) == before and browser.get("/account").status_code == 200


def test_p20_closing_the_account_logs_out_and_says_so(
    browser: TestClient, engine: Engine, jan: Customer
) -> None:
    response = submit(browser, "/account/close", {"password": jan.password})
    assert response.headers["location"] == "/?notice=account_closed"
    assert 'privaat_session=""' in response.headers["set-cookie"]
    with engine.connect() as connection:
        assert connection.execute(select(accounts.c.status)).scalar_one() == "closed"
    assert "Uw account is opgeheven" in browser.get(response.headers["location"]).text
    again = submit(browser, "/login", {"email": jan.email, "password": jan.password})
    assert again.status_code == 422


# --- the address links, in a browser ------------------------------------------------------------


def test_issue5_opening_the_link_spends_nothing_and_the_button_verifies(
    client: TestClient, context: Context, engine: Engine
) -> None:
    customer(context, verified=False)
    ((_id, _template, mail),) = [m for m in context.outbox.pending() if m[1] == "verify_email"]
    token = mail.body.split("token=", 1)[1].split(".")[0].split()[0]
    page = client.get(f"/email/verify?token={token}")
    assert page.status_code == 200 and 'id="address-submit"' in page.text
    response = submit(
        client, "/email/verify", {"token": token}, page=f"/email/verify?token={token}"
    )
    assert response.headers["location"] == "/?notice=email_verified"
    with engine.connect() as connection:
        assert connection.execute(select(accounts.c.email_verified)).scalar_one() is True
    spent = submit(client, "/email/verify", {"token": token}, page="/email/verify")
    assert spent.status_code == 422 and 'id="address-invalid"' in spent.text


# --- errors are pages ---------------------------------------------------------------------------


def test_bad_input_an_unexpected_error_is_a_page_without_a_trace(
    browser: TestClient, context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("secret detail of the failure")

    monkeypatch.setattr(context.accounts, "read_profile", broken)
    response = browser.get("/account")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "Er ging iets mis" in response.text
    assert "secret detail" not in response.text and "Traceback" not in response.text


def _edit_values(browser: TestClient) -> dict[str, str]:
    html = browser.get("/account/edit").text
    names = (
        "name",
        "email",
        "street",
        "postal_code",
        "city",
        "phone",
        "vat_number",
        "display_name",
    )
    values = {name: value_of(html, f"edit-{name}") or "" for name in names}
    return {**values, "language": "nl"}


def _verify_mail(context: Context) -> list[Any]:
    return [m for m in context.outbox.pending() if m[1] == "verify_email"]


@pytest.mark.parametrize(
    "path", ["/account", "/account/edit", "/account/logins", "/account/password", "/account/close"]
)
def test_item1_every_centre_page_has_the_page_headers_and_no_inline_code(
    browser: TestClient, path: str
) -> None:
    response = browser.get(path)
    assert response.status_code == 200
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert "style-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    assert "<script" not in response.text and " style=" not in response.text


def test_p2_too_many_wrong_passwords_answer_429_with_the_form_and_a_time(
    client: TestClient, jan: Customer
) -> None:
    client.get("/")
    for _ in range(MAX_ATTEMPTS_PER_ACCOUNT):
        submit(client, "/login", {"email": jan.email, "password": "not the password"})
    response = submit(client, "/login", {"email": jan.email, "password": jan.password})
    assert response.status_code == 429
    assert "Te veel pogingen. Probeer het over" in response.text
    assert value_of(response.text, "login-email") == jan.email
