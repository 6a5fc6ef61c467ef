"""The privacy centre's support access: grant, see every staff view, revoke (issue 12, L29).

    GET   /account/support-access                  the grant form (1 hour, 24 hours, 7 days),
                                                   live and past grants, every staff view
                                                   under each: who (role, staff number), when,
                                                   what
    POST  /account/support-access                  grant: consent in the ledger + its end
    POST  /account/support-access/{id}/revoke      withdraw at once (art. 7(3)); the agent's
                                                   next request is refused
    GET   /account/views                           "who viewed my data": every staff read of
                                                   the person's data in the access log, per
                                                   activity in the policy's words (art. 15)

Each POST checks its CSRF token first (CheckedForm); a refused duration comes back as the
page with the message next to the choice and a 422, nothing written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from babel.dates import format_datetime
from fastapi import APIRouter, HTTPException, Request, Response

from privaat.bootstrap import Context
from privaat.domain.principal import StaffRole
from privaat.i18n import N_, translations
from privaat.render.language import formatting_locale
from privaat.services.consents import Evidence
from privaat.services.errors import Conflict, InvalidField
from privaat.services.support_access import (
    OVERVIEW,
    SECTIONS,
    GrantDuration,
    GrantNotFound,
    StaffRead,
    SupportGrant,
)
from privaat.web.deps import ClientIp, ContextDep, CurrentSubject, UowDep
from privaat.web.pages.csrf import CheckedForm
from privaat.web.pages.forms import Form
from privaat.web.pages.layout import notice, page_language, redirect, render
from privaat.web.pages.page_errors import PageRoute

__all__ = ["moment_words", "router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PAGE = "/account/support-access"
VIEWS = "/account/views"

NOTICES = {
    "granted": N_("Support staff may now log into your account until the time shown."),
    "revoked": N_("Support access is withdrawn. Support staff can no longer open your account."),
}
DURATION_NAMES: Mapping[GrantDuration, str] = {
    GrantDuration.HOUR: N_("1 hour"),
    GrantDuration.DAY: N_("24 hours"),
    GrantDuration.WEEK: N_("7 days"),
}
_ROLE_WORDS: Mapping[StaffRole, str] = {
    StaffRole.PRIVACY_OFFICER: N_("privacy officer"),
    StaffRole.SUPPORT: N_("customer support"),
    StaffRole.SUPPORT_LEAD: N_("customer support team leader"),
    StaffRole.FRAUD: N_("fraud team"),
    StaffRole.MARKETING: N_("marketing"),
    StaffRole.ADMINISTRATOR: N_("administrator"),
}
_OPERATION_WORDS: Mapping[str, str] = {
    "read": N_("looked at"),
    "write": N_("changed or added"),
    "send": N_("sent"),
    "export": N_("copied into an export"),
    "erase": N_("erased"),
}
_USED = N_("used")  # an operation this version does not name
_SECTION_WORDS: Mapping[str, str] = {OVERVIEW: N_("Overview of your account")} | {
    s.key: s.title for s in SECTIONS
}
_LABELS = {"duration": N_("How long may support staff log into your account?")}


def moment_words(lang: str) -> Callable[[datetime], str]:
    """A function that writes a moment as the page's language does, in UTC."""
    locale = formatting_locale(lang)

    def moment(at: datetime) -> str:
        text = format_datetime(at, format="medium", tzinfo=at.tzinfo, locale=locale)
        return f"{text} UTC"

    return moment


@dataclass(frozen=True, slots=True)
class ReadRow:
    """One staff read as "who viewed my data" shows it."""

    at: str
    who: str
    activity: str
    what: str


def _who(gettext: Callable[[str], str], role: StaffRole | None, staff_id: int) -> str:
    # the policy names staff by role and number, never by name (art. 5(1)(c))
    role_word = gettext(_ROLE_WORDS[role]) if role is not None else gettext(N_("staff member"))
    return gettext(N_("{role}, staff number {number}")).format(role=role_word, number=staff_id)


def _grant_page(
    request: Request,
    ctx: Context,
    uow: UowDep,
    subject: CurrentSubject,
    form: Form,
    *,
    status_code: int = 200,
) -> Response:
    if not ctx.support_access.offered:  # a provider without support access has no such page
        raise HTTPException(status_code=404)
    lang = page_language(request)
    gettext = translations(lang).gettext
    grants: Sequence[SupportGrant] = ctx.support_access.grants(uow, subject)
    activity = ctx.policy.activity("support_account_access")
    consent = activity.consent
    return render(
        request,
        "support_access.html.j2",
        status_code=status_code,
        signed_in=True,
        notice=notice(request, NOTICES),
        form=form,
        request_text=consent.request.in_language(lang) if consent else "",
        description=activity.description.in_language(lang),
        durations=[(d.value, gettext(DURATION_NAMES[d])) for d in ctx.support_access.durations()],
        grants=grants,
        live=next((g for g in grants if g.state.value == "live"), None),
        when=moment_words(lang),
        who=lambda role, number: _who(gettext, role, number),
        section_name=lambda key: gettext(_SECTION_WORDS.get(key, key)),
    )


def _form(request: Request, typed: Mapping[str, str] | None = None) -> Form:
    return Form(page_language(request), "support-access", _LABELS, typed)


@router.get(PAGE)
def support_access_page(
    request: Request, ctx: ContextDep, uow: UowDep, subject: CurrentSubject
) -> Response:
    """The grant form, every grant and every staff view under it."""
    return _grant_page(request, ctx, uow, subject, _form(request))


@router.post(PAGE)
def grant(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    subject: CurrentSubject,
    ip: ClientIp,
    fields: CheckedForm,
) -> Response:
    """Grant support access for the chosen time (consent, art. 7(1))."""
    if not ctx.support_access.offered:
        raise HTTPException(status_code=404)
    form = _form(request, fields)
    duration = fields.get("duration", "")
    evidence = Evidence(ip=ip, user_agent=request.headers.get("user-agent"))
    try:
        ctx.support_access.grant(
            uow, subject, duration, lang=page_language(request), evidence=evidence
        )
    except InvalidField:
        form.refuse("duration", N_("Choose 1 hour, 24 hours or 7 days."))
        return _grant_page(request, ctx, uow, subject, form, status_code=422)
    except Conflict:
        form.refuse_form(N_("You have already granted access. Withdraw it first to choose again."))
        return _grant_page(request, ctx, uow, subject, form, status_code=409)
    return redirect(f"{PAGE}?notice=granted")


@router.post(PAGE + "/{grant_id}/revoke")
def revoke(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    subject: CurrentSubject,
    ip: ClientIp,
    grant_id: int,
    fields: CheckedForm,
) -> Response:
    """Withdraw the grant now (art. 7(3)); another person's grant is not found."""
    evidence = Evidence(ip=ip, user_agent=request.headers.get("user-agent"))
    try:
        ctx.support_access.revoke(uow, subject, grant_id, evidence=evidence)
    except GrantNotFound:
        raise HTTPException(status_code=404) from None
    return redirect(f"{PAGE}?notice=revoked")


@router.get(VIEWS)
def views_page(request: Request, ctx: ContextDep, uow: UowDep, subject: CurrentSubject) -> Response:
    """Every staff read of the person's data, in plain words per activity (art. 15)."""
    ctx.access_log.flush()  # what staff did a moment ago is on the page
    reads: Sequence[StaffRead] = ctx.support_access.staff_reads(uow, subject)
    lang = page_language(request)
    gettext = translations(lang).gettext
    moment = moment_words(lang)
    names = {a.id: a.name.in_language(lang) for a in ctx.policy.activities}
    rows = [
        ReadRow(
            at=moment(read.at),
            who=_who(gettext, read.staff_role, read.staff_id),
            activity=names.get(read.activity, read.activity),
            what=gettext(_OPERATION_WORDS.get(read.operation, _USED)),
        )
        for read in reads
    ]
    return render(request, "views.html.j2", signed_in=True, rows=rows)
