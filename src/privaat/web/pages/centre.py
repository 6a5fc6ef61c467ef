"""The privacy centre of a logged-in customer, over the account services.

    GET       /account           "my data": everything held, grouped by activity (holdings)
    GET|POST  /account/edit      rectification (GDPR art. 16); a new e-mail address needs the
                                 current password and takes effect once its link is opened
    GET       /account/logins    recent log-ins and where they came from (P9)
    GET|POST  /account/password  change the password (P2); other sessions end (P3)
    GET|POST  /account/close     close the account, saying from the policy what is kept and
                                 for how long (P20)

The privacy choices (consents and objections, issue 10) are their own page,
``web.pages.preferences`` at /account/preferences, linked from "my data" and the navigation.

Each POST checks its CSRF token (CheckedForm), reads its fields through the text rule and
the API's input models, and answers a refusal with the form again, values kept (passwords
never), nothing written; a success redirects (POST-redirect-GET).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from privaat.bootstrap import Context
from privaat.domain.activities import LOGIN_LOCATION
from privaat.i18n import N_
from privaat.services.account_commands import AccountClose, AccountUpdate, PasswordChange
from privaat.services.accounts import Profile
from privaat.services.errors import ServiceError
from privaat.services.passwords import MIN_LENGTH
from privaat.web.deps import ContextDep, CurrentSubject, SessionToken, UowDep, clear_session_cookie
from privaat.web.pages.account_words import ACCOUNT_LABELS, LANGUAGE_NAMES
from privaat.web.pages.csrf import CheckedForm
from privaat.web.pages.forms import Form
from privaat.web.pages.holdings import held_data, kept_after_closure
from privaat.web.pages.layout import notice, page_language, redirect, render
from privaat.web.pages.page_errors import PageRoute

__all__ = ["router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# the services a datacenter log-in can be to, and how it went (P9)
SERVICE_NAMES = {
    "server": N_("Hosted server"),
    "webmail": N_("Webmail"),
    "pbx": N_("Telephone exchange (PBX)"),
}
OUTCOME_NAMES = {"success": N_("Logged in"), "failure": N_("Failed")}

NOTICES = {
    "saved": N_("Your changes are saved."),
    "unchanged": N_("Nothing was changed."),
    "email_requested": N_(
        "Your changes are saved. We sent a link to your new e-mail address: the new address "
        "is used once you open it. Your old address was told, and your other sessions ended."
    ),
    "password_changed": N_(
        "Your password is changed. Your other sessions ended and we sent you a message."
    ),
}
# what rectification can change, in the order of the form; the rest is not the person's to type
EDITABLE = (
    "name",
    "email",
    "street",
    "postal_code",
    "city",
    "phone",
    "vat_number",
    "display_name",
    "language",
)
_REQUIRED = frozenset({"name", "email", "language"})
_EDIT_LABELS = {**ACCOUNT_LABELS, "current_password": N_("Current password")}
_PASSWORD_LABELS = {
    "current_password": N_("Current password"),
    "new_password": N_("New password"),
}
_CLOSE_LABELS = {"password": N_("Your password")}


@router.get("/account")
def my_data(request: Request, ctx: ContextDep, uow: UowDep, subject: CurrentSubject) -> Response:
    """Everything held about the person, each activity with purpose, legal basis, retention."""
    profile = ctx.accounts.read_profile(uow, subject, subject.subject_id)
    logins = None if ctx.logins is None else ctx.logins.recent(uow, subject, subject.subject_id)
    lang = page_language(request)
    return render(
        request,
        "account.html.j2",
        signed_in=True,
        notice=notice(request, NOTICES),
        groups=held_data(ctx.policy, lang, profile, logins),
        login_activity=LOGIN_LOCATION,
    )


@router.get("/account/edit")
def edit_page(request: Request, ctx: ContextDep, uow: UowDep, subject: CurrentSubject) -> Response:
    """The account's fields as they are now, ready to correct."""
    profile = ctx.accounts.read_profile(uow, subject, subject.subject_id)
    typed = {name: _as_text(getattr(profile, name)) for name in EDITABLE}
    return _edit_page(request, _edit_form(request, profile, typed), profile)


@router.post("/account/edit")
def edit(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    subject: CurrentSubject,
    token: SessionToken,
    fields: CheckedForm,
) -> Response:
    """Rectify what changed; an e-mail change first, so a wrong password writes nothing."""
    profile = ctx.accounts.read_profile(uow, subject, subject.subject_id)
    form = _edit_form(request, profile, fields)
    editable = [name for name in EDITABLE if name not in profile.restricted_fields]
    typed = {name: form.text(name) for name in editable}
    for name in _REQUIRED & set(editable):
        if typed[name] is None and name not in form.errors:
            form.refuse(name, N_("Fill in this field."))
    password = form.secret("current_password")
    checked = form.model(AccountUpdate, {**typed, "current_password": password})
    if checked is None:
        return _edit_page(request, form, profile, status_code=422)
    changes = {
        name: getattr(checked, name)
        for name in editable
        if getattr(checked, name) != getattr(profile, name)
    }
    new_email = changes.pop("email", None)
    if new_email is not None and password is None:
        form.refuse(
            "current_password", N_("Enter your current password to change your e-mail address.")
        )
        return _edit_page(request, form, profile, status_code=422)
    try:
        if new_email is not None:
            # Accounts.update_profile writes the other fields before it checks the password:
            # the address goes alone first, so a wrong password leaves everything as it was
            email_only = AccountUpdate(email=new_email, current_password=password)
            ctx.accounts.update_profile(
                uow, subject, subject.subject_id, email_only, keep_token=token
            )
        if changes:
            rest = AccountUpdate.model_validate(changes)
            ctx.accounts.update_profile(uow, subject, subject.subject_id, rest, keep_token=token)
    except ServiceError as error:
        status = form.service_error(error)
        return _edit_page(request, form, profile, status_code=status)
    done = "email_requested" if new_email else "saved" if changes else "unchanged"
    return redirect(f"/account?notice={done}")


@router.get("/account/logins")
def logins_page(
    request: Request, ctx: ContextDep, uow: UowDep, subject: CurrentSubject
) -> Response:
    """The person's recent log-ins, with the address and place each came from (P9)."""
    profile = ctx.accounts.read_profile(uow, subject, subject.subject_id)
    logins = None if ctx.logins is None else ctx.logins.recent(uow, subject, subject.subject_id)
    groups = held_data(ctx.policy, page_language(request), profile, logins)
    rows = next((g.logins for g in groups if g.logins), ())
    # P9, L35: log-ins to the person's services in the datacenter, shown to them alone
    services = ctx.telemetry.service_logins(uow, subject, subject.subject_id)
    return render(
        request,
        "logins.html.j2",
        signed_in=True,
        rows=rows,
        recorded=logins is not None,
        service_logins=services,
        service_names=SERVICE_NAMES,
        outcome_names=OUTCOME_NAMES,
    )


@router.get("/account/password")
def password_page(request: Request, subject: CurrentSubject) -> Response:
    """The form to change the password."""
    return _password_page(request, _password_form(request))


@router.post("/account/password")
def change_password(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    subject: CurrentSubject,
    token: SessionToken,
    fields: CheckedForm,
) -> Response:
    """Change the password; this session stays, every other one ends."""
    form = _password_form(request, fields)
    command = form.model(
        PasswordChange,
        {
            "current_password": form.secret("current_password"),
            "new_password": form.secret("new_password"),
        },
    )
    if command is None:
        return _password_page(request, form, status_code=422)
    try:
        ctx.sessions.change_password(
            uow,
            subject,
            subject.subject_id,
            current=command.current_password.get_secret_value(),
            new=command.new_password.get_secret_value(),
            keep_token=token,
        )
    except ServiceError as error:
        return _password_page(request, form, status_code=form.service_error(error))
    return redirect("/account?notice=password_changed")


@router.get("/account/close")
def close_page(request: Request, ctx: ContextDep, subject: CurrentSubject) -> Response:
    """What closing means and what is kept, for how long; the form asks the password."""
    return _close_page(request, ctx, _close_form(request))


@router.post("/account/close")
def close(
    request: Request, ctx: ContextDep, uow: UowDep, subject: CurrentSubject, fields: CheckedForm
) -> Response:
    """Close the account: sessions end at once, data goes when its retention ends (P20)."""
    form = _close_form(request, fields)
    command = form.model(AccountClose, {"password": form.secret("password")})
    if command is None:
        return _close_page(request, ctx, form, status_code=422)
    try:
        ctx.accounts.close(uow, subject, subject.subject_id, command)
    except ServiceError as error:
        return _close_page(request, ctx, form, status_code=form.service_error(error))
    response = redirect("/?notice=account_closed")
    clear_session_cookie(response, ctx)
    return response


def _as_text(value: object) -> str:
    return "" if value is None else str(value)


def _edit_form(request: Request, profile: Profile, typed: dict[str, str]) -> Form:
    labels = {
        name: label for name, label in _EDIT_LABELS.items() if name not in profile.restricted_fields
    }
    return Form(page_language(request), "edit", labels, typed, secret=("current_password",))


def _edit_page(
    request: Request, form: Form, profile: Profile, *, status_code: int = 200
) -> Response:
    return render(
        request,
        "account_edit.html.j2",
        status_code=status_code,
        signed_in=True,
        form=form,
        restricted=[form.say(ACCOUNT_LABELS[f]) for f in profile.restricted_fields],
        language_options=[(code, form.say(name)) for code, name in LANGUAGE_NAMES.items()],
    )


def _password_form(request: Request, typed: dict[str, str] | None = None) -> Form:
    secret = ("current_password", "new_password")
    return Form(page_language(request), "password", _PASSWORD_LABELS, typed, secret=secret)


def _password_page(request: Request, form: Form, *, status_code: int = 200) -> Response:
    return render(
        request,
        "account_password.html.j2",
        status_code=status_code,
        signed_in=True,
        form=form,
        min_password=MIN_LENGTH,
    )


def _close_form(request: Request, typed: dict[str, str] | None = None) -> Form:
    return Form(page_language(request), "close", _CLOSE_LABELS, typed, secret=("password",))


def _close_page(request: Request, ctx: Context, form: Form, *, status_code: int = 200) -> Response:
    kept = kept_after_closure(ctx.policy, form.lang, logins=ctx.logins is not None)
    return render(
        request,
        "account_close.html.j2",
        status_code=status_code,
        signed_in=True,
        form=form,
        kept=kept,
    )
