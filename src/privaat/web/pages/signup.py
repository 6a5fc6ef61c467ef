"""Sign-up (P1, P18) and the links that prove an address (issue 5 item 11) as pages.

GET  /signup            the form: the fields of P1, one unticked box per consent asked at
                        sign-up (SIGN_UP_CONSENTS), nothing ticked in advance (LEGAL L8)
POST /signup            AccountCreate through the text rule ─▶ Accounts.sign_up, the ticked
                        consents with it (none ticked is a full account, LEGAL L12)
                        ─▶ 303 /signup/sent (the same whether or not the address was known)
GET  /email/verify      a button: a mail scanner that opens the link spends nothing
POST /email/verify      EmailAddresses.verify ─▶ 303 /?notice=email_verified
GET|POST /email/confirm the same for a new address (confirm_change)
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, HTTPException, Request, Response

from privaat.domain.activities import ACCOUNT
from privaat.i18n import N_
from privaat.policy.schema import Policy, ProcessingActivity
from privaat.render.policy_text import just_in_time
from privaat.services.account_commands import AccountCreate
from privaat.services.contact_fields import MINIMUM_AGE
from privaat.services.errors import InvalidField, ServiceError
from privaat.services.passwords import MIN_LENGTH
from privaat.web.deps import ClientIp, ContextDep, UowDep
from privaat.web.pages.account_words import ACCOUNT_LABELS, LANGUAGE_NAMES, TEXT_FIELDS
from privaat.web.pages.csrf import CheckedForm
from privaat.web.pages.forms import Form
from privaat.web.pages.home import SignedIn
from privaat.web.pages.layout import page_language, redirect, render
from privaat.web.pages.page_errors import PageRoute
from privaat.web.pages.preferences import consent_activities

__all__ = ["router", "sign_up_consents"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# in the order of the form, which the error summary follows
_LABELS = {
    "email": ACCOUNT_LABELS["email"],
    "password": N_("Password"),
    **ACCOUNT_LABELS,
    "age_declaration": "",
}
_LINKS = {
    "verify": (N_("Verify your e-mail address"), "email_verified"),
    "confirm": (N_("Confirm your new e-mail address"), "email_changed"),
}


_CONSENT_FIELD = "consent_"


def sign_up_consents(policy: Policy) -> tuple[ProcessingActivity, ...]:
    """The consents asked at sign-up: those the privacy centre's page gives and withdraws
    (so a person withdraws where the statement says, no harder than here, LEGAL L10), except
    a grant that expires by itself: it is given for one case when the case arises (a support
    log-in, LEGAL L29), not for an account that does not exist yet.

    Read from the policy file, in its order: a provider's new consent-based activity gets its
    own box without code (one control per purpose, never bundled, art. 7(2), LEGAL L9)."""
    return tuple(
        activity
        for activity in consent_activities(policy)
        if activity.consent is not None and activity.consent.expires_after is None
    )


@dataclass(frozen=True, slots=True)
class ConsentBox:
    """One unticked box of the sign-up form: the policy's request text, its notice."""

    field: str
    activity: str
    name: str
    request: str  # exactly the text whose hash the consent ledger keeps (LEGAL L86)
    notice: str | None
    statement_href: str


def _form(request: Request, typed: dict[str, str] | None = None) -> Form:
    lang = page_language(request)
    policy: Policy = request.app.state.policy
    labels = dict(_LABELS)
    for activity in sign_up_consents(policy):
        labels[_CONSENT_FIELD + activity.id] = ""
    form = Form(lang, "signup", labels, typed or {"language": lang}, secret=("password",))
    form.labels["age_declaration"] = form.say(N_("I am {age} or older"), age=MINIMUM_AGE)
    for activity in sign_up_consents(policy):
        if activity.consent is not None:
            form.labels[_CONSENT_FIELD + activity.id] = activity.consent.request.in_language(lang)
    return form


def _consent_boxes(policy: Policy, lang: str) -> list[ConsentBox]:
    return [
        ConsentBox(
            field=_CONSENT_FIELD + activity.id,
            activity=activity.id,
            name=activity.name.in_language(lang),
            request=activity.consent.request.in_language(lang),
            notice=just_in_time(policy, activity.id, lang),
            statement_href=f"/privacy?lang={lang}#activity-{activity.id}",
        )
        for activity in sign_up_consents(policy)
        if activity.consent is not None
    ]


@router.get("/signup")
def sign_up_page(request: Request, signed: SignedIn) -> Response:
    """The sign-up form (P1): what it asks, that the address will be verified, no box ticked."""
    return _page(request, _form(request), signed_in=signed)


@router.post("/signup")
def sign_up(
    request: Request, ctx: ContextDep, uow: UowDep, ip: ClientIp, fields: CheckedForm
) -> Response:
    """Create the account; a refused form comes back with its values and nothing is stored."""
    form = _form(request, fields)
    data: dict[str, object] = {name: form.text(name) for name in TEXT_FIELDS}
    data["birth_date"] = form.text("birth_date")
    data["password"] = form.secret("password")
    data["age_declaration"] = form.checked("age_declaration")
    if not form.checked("age_declaration"):
        # P18: said at once, with the other errors; Accounts.sign_up refuses it all the same
        form.refuse(
            "age_declaration",
            N_("You must be {age} or older to create an account."),
            age=MINIMUM_AGE,
        )
    # LEGAL L8: a consent is only a box the person ticked; none ticked is no consent at all
    policy: Policy = request.app.state.policy
    ticked = tuple(
        activity.id
        for activity in sign_up_consents(policy)
        if form.checked(_CONSENT_FIELD + activity.id)
    )
    if ticked:
        data["consents"] = ticked
    status = 422
    command = form.model(AccountCreate, data)
    if command is not None:
        try:
            # the ticked consents prove the text in the language the page showed, whatever
            # language the person chose for e-mail, with the user agent as evidence (art. 7(1))
            agent = request.headers.get("user-agent")
            ctx.accounts.sign_up(uow, command, ip=ip, user_agent=agent, consent_language=form.lang)
        except ServiceError as error:
            status = form.service_error(error)
        else:
            return redirect("/signup/sent")
    return _page(request, form, status_code=status)


def _page(
    request: Request, form: Form, *, status_code: int = 200, signed_in: bool = False
) -> Response:
    options = [(code, form.say(name)) for code, name in LANGUAGE_NAMES.items()]
    policy: Policy = request.app.state.policy
    return render(
        request,
        "signup.html.j2",
        status_code=status_code,
        signed_in=signed_in,
        form=form,
        language_options=options,
        min_password=MIN_LENGTH,
        minimum_age=MINIMUM_AGE,
        consent_boxes=_consent_boxes(policy, form.lang),
        # art. 13(1): told at the time the data is obtained, from the account activity's own
        # short notice, with the full statement one link away (layered, EDPB WP260 rev.01 §38)
        notice=just_in_time(policy, ACCOUNT, form.lang),
        statement_href=f"/privacy?lang={form.lang}#activity-{ACCOUNT}",
    )


@router.get("/signup/sent")
def sign_up_sent(request: Request, signed: SignedIn) -> Response:
    """What happens now: the same words whether or not the address had an account."""
    return render(request, "signup_sent.html.j2", signed_in=signed)


@router.get("/email/{action}")
def address_link_page(request: Request, action: str, signed: SignedIn, token: str = "") -> Response:
    """The page a mailed link opens: one button, so that opening the link changes nothing."""
    if action not in _LINKS:
        raise HTTPException(status_code=404)
    heading, _notice = _LINKS[action]
    return render(
        request,
        "address_link.html.j2",
        heading=heading,
        action=action,
        token=token,
        signed_in=signed,
        invalid=False,
    )


@router.post("/email/{action}")
def redeem_address_link(
    request: Request, action: str, ctx: ContextDep, uow: UowDep, fields: CheckedForm
) -> Response:
    """Spend the link: verify the address or make the new one the account's."""
    if action not in _LINKS:
        raise HTTPException(status_code=404)
    heading, notice = _LINKS[action]
    token = fields.get("token", "")
    try:
        if action == "verify":
            ctx.addresses.verify(uow, token)
        else:
            ctx.addresses.confirm_change(uow, token)
    except InvalidField:  # unknown, used or expired: one answer for all (LinkInvalid)
        return render(
            request,
            "address_link.html.j2",
            status_code=422,
            heading=heading,
            action=action,
            token="",
            invalid=True,
        )
    return redirect(f"/?notice={notice}")
