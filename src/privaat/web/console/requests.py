"""Console pages: the queue of data-subject requests and each request (issue 11 item 11).

    GET  /console/requests?show=open|all&kind=…   the queue by due date, overdue first and
                                                  marked, with the watchdog's alerts ("stuck
                                                  since …"); nothing personal in it
    GET  /console/requests/new  POST …/new        file a request made by phone or letter
    GET  /console/requests/figures?weeks=&until=  requests per kind per week, days to answer
    GET  /console/requests/{reference}            the request, decrypted through the seam under
                                                  rights_handling (access-logged), its history,
                                                  and only the steps TRANSITIONS allows
    GET  /console/requests/{reference}/mails/{id} a mail as received (.eml)
    POST /console/requests/{reference}/act        start, extend, refuse, complete, close, cancel
    POST /console/requests/{reference}/classify   an UNCLEAR request gets its kind
    POST /console/requests/{reference}/answer     access/portability: the ZIP and its link
    POST /console/requests/{reference}/rectify|erase|restrict|lift|object|grounds|uphold
                                                  ctx.rights (request_steps.py); the forms are
                                                  EXTRA_STEP_TEMPLATES, shown by RightsView

Every POST is CSRF-checked (CheckedForm) and redirects with ``?notice=`` (303) when it
worked; a refused step is the page again with the reason next to its form (409 for a step
the status does not allow, 422 for a field), and nothing changed (one transaction each).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Annotated, Any

from babel.numbers import format_decimal
from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from privaat.domain.consent_weeks import DEFAULT_WEEKS, MAX_WEEKS, RangeInvalid, WeekRange
from privaat.domain.guard import is_direct_marketing, objection_applies
from privaat.domain.principal import StaffMember
from privaat.domain.subject import DIRECT_MARKETING
from privaat.domain.subject_requests import ARTICLES, Action, RequestKind, RequestStatus
from privaat.i18n import N_, translations
from privaat.services.account_commands import Email, Language
from privaat.services.errors import (
    Conflict,
    InvalidField,
    NotPermitted,
    ServiceError,
    StorageFull,
)
from privaat.services.recipient_notices import Told
from privaat.services.rectification import CORRECTABLE
from privaat.services.request_commands import Details, RightAsked
from privaat.services.request_erasure import ErasureDone
from privaat.services.request_stats import RequestReport
from privaat.services.request_tasks import ApprovalDenied, ApprovalPending, TasksOpen
from privaat.services.subject_requests import QueuedRequest, RequestNotFound
from privaat.web.console.access import ConsoleRoute, CurrentStaff, authorise
from privaat.web.console.consent_charts import ChartText, value_chart, withdrawal_chart
from privaat.web.console.request_words import (
    ACTION_BUTTONS,
    ACTION_NOTICES,
    CHANNEL_NAMES,
    HISTORY_NAMES,
    KIND_NAMES,
    STATUS_NAMES,
)
from privaat.web.console.routes import _page
from privaat.web.deps import ContextDep, UowDep
from privaat.web.pages.csrf import CheckedForm
from privaat.web.pages.forms import Form
from privaat.web.pages.layout import notice, page_language, redirect
from privaat.web.pages.page_errors import error_page
from privaat.web.task_words import GATE_MESSAGES

__all__ = ["EXTRA_STEP_TEMPLATES", "STEP_NOTICES", "RightsView", "router"]

router = APIRouter(
    prefix="/console",
    route_class=ConsoleRoute,
    include_in_schema=False,
    dependencies=[Depends(authorise)],  # the role table, for every route below
)

# ---- THE PLACE FOR FURTHER STEPS (ctx.rights: erase, rectify, restrict/lift, objection
# grounds; issue 11 items 5-8). Each entry is a template name included in the request page's
# "further steps" section, with ``detail`` (RequestDetail), ``step_errors`` and
# ``csrf_token`` in its context; its route goes in this module (and in access.ROLE_TABLE).
EXTRA_STEP_TEMPLATES: list[str] = [
    "console/request_step_rectify.html.j2",
    "console/request_step_erase.html.j2",
    "console/request_step_restrict.html.j2",
    "console/request_step_object.html.j2",
    "console/request_step_told.html.j2",
]
# ?notice= after a ctx.rights step (POST-redirect-GET, as ACTION_NOTICES)
STEP_NOTICES = {
    "rectify": N_(
        "The account is corrected and the request completed; the requester and "
        "the recipients are told (GDPR art. 16, 19)."
    ),
    "restrict": N_(
        "Processing is restricted and the request completed; the requester is told (GDPR art. 18)."
    ),
    "lift": N_(
        "The requester is told the restriction ends; it is lifted on the day set (GDPR art. 18(3))."
    ),
    "object": N_(
        "The objection is recorded: the processing stopped for this person (GDPR art. 21)."
    ),
    "object_done": N_(
        "The objection to direct marketing is recorded and the request "
        "completed: it is absolute (GDPR art. 21(3))."
    ),
    "grounds": N_(
        "The compelling grounds are kept with the request; the requester is told "
        "them and may complain (GDPR art. 21(1))."
    ),
    "uphold": N_("The objection stands; the requester is told and the request completed."),
}
_NOTICES = {
    **ACTION_NOTICES,
    **STEP_NOTICES,
    "task-done": N_("The task is done; its evidence is kept with the request."),
    "task-waived": N_("The task is waived; the reason is kept with the request."),
    "approved": N_("Approved: the step may now be taken."),
}
_TASK_WORDS = {
    "task_status_names": {
        "open": N_("open"),
        "done": N_("done"),
        "waived": N_("waived"),
    },
    "role_names": {
        "privacy_officer": N_("the privacy officer"),
        "support": N_("support"),
        "support_lead": N_("the support team leader"),
        "fraud": N_("the fraud team"),
        "marketing": N_("marketing"),
    },
    "approval_step_names": {
        "erase": N_("Erase the person's data"),
        "answer": N_("Answer with a copy of the data"),
    },
}
# the audit entries of those steps, in the request's history
_HISTORY_NAMES = {
    **HISTORY_NAMES,
    "request.rectified": N_("account corrected"),
    "request.erased": N_("data erased, receipt sent"),
    "request.restricted": N_("processing restricted"),
    "request.lift_announced": N_("lift of the restriction announced"),
    "request.restriction_lifted": N_("restriction lifted"),
    "request.objection_recorded": N_("objection recorded"),
    "request.objection_upheld": N_("objection upheld"),
    "request.objection_overridden": N_("objection overridden on compelling grounds"),
    # issue 15 item 8: the same request by any channel joins the open one; a repeat is flagged
    "request.linked": N_("the same request came in again and joined it"),
    "request.flagged": N_("flagged: it repeats earlier requests (GDPR art. 12(5))"),
    # issue 15 items 3-4: manual tasks and four-eyes approval
    "request.task_made": N_("manual task made"),
    "request.task_done": N_("manual task done"),
    "request.task_waived": N_("manual task waived"),
    "request.approval_asked": N_("second officer's approval asked"),
    "request.approved": N_("approved by a second officer"),
}
# a flagged request's refusal starts from these words (issue 15 item 8); the officer finishes them
_ART_12_5_GROUNDS = N_(
    "You made this request before ({references}). Under GDPR art. 12(5) we may refuse a "
    "request that is manifestly unfounded or excessive, in particular because of its "
    "repetitive character. [Say why this request is excessive: what was answered when, and "
    "why nothing has changed since.]"
)
# the account fields a rectification corrects (services.rectification.CORRECTABLE)
FIELD_LABELS = {
    "name": N_("Name"),
    "street": N_("Street and number"),
    "postal_code": N_("Postal code"),
    "city": N_("Town or city"),
    "phone": N_("Phone number"),
    "vat_number": N_("VAT number"),
    "display_name": N_("Display name"),
    "language": N_("Language of the letters"),
}
_WORKING = frozenset({RequestStatus.IN_PROGRESS, RequestStatus.EXTENDED})
_TOLD_KINDS = frozenset(
    {RequestKind.RECTIFICATION, RequestKind.ERASURE, RequestKind.RESTRICTION, RequestKind.OBJECTION}
)


@dataclass(frozen=True, slots=True)
class RightsView:
    """Which ctx.rights forms the request page shows, and their choices from the policy.

    The state comes from the request's own history (its audit entries), so the page opens
    no more personal data than it did: restricted = ``request.restricted`` and no lift yet;
    an objection waits for the officer = ``request.objection_recorded`` and no decision."""

    rectify: bool
    erase: bool
    restrict: bool
    lift: bool
    object: bool
    decide: bool
    fields: tuple[tuple[str, str], ...]  # (field, label msgid)
    activities: tuple[tuple[str, str], ...]  # (id, name) every activity, for a restriction
    categories: tuple[tuple[str, str], ...]  # (id, name) the policy's data categories
    objectable: tuple[tuple[str, str], ...]  # (key, name): objection possible (art. 21)
    overridable: tuple[tuple[str, str], ...]  # legitimate interest, grounds may be invoked
    told: tuple[Told, ...]  # art. 19: recipients told of the request's steps

    @property
    def steps(self) -> frozenset[str]:
        shown = {
            "rectify": self.rectify,
            "erase": self.erase,
            "restrict": self.restrict,
            "lift": self.lift,
            "object": self.object,
            "grounds": self.decide,
            "uphold": self.decide,
        }
        return frozenset(step for step, on in shown.items() if on)


def _rights_view(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: StaffMember,
    queued: QueuedRequest,
    history: frozenset[str],
) -> RightsView:
    lang = page_language(request)
    gettext = translations(lang).gettext
    kind, working = queued.kind, queued.status in _WORKING
    restricted = "request.restricted" in history and not (
        {"request.lift_announced", "request.restriction_lifted"} & history
    )
    recorded = "request.objection_recorded" in history
    decided = bool({"request.objection_upheld", "request.objection_overridden"} & history)
    policy = ctx.policy
    objectable: dict[str, str] = {}
    overridable: list[tuple[str, str]] = []
    for activity in policy.activities:
        if is_direct_marketing(activity):
            # art. 21(2)-(3): one objection covers all of direct marketing
            objectable[DIRECT_MARKETING] = gettext("Direct marketing (all of it)")
        elif objection_applies(activity):
            objectable[activity.id] = activity.name.in_language(lang)
            if activity.objection.overridable:
                overridable.append((activity.id, activity.name.in_language(lang)))
    told: tuple[Told, ...] = ()
    if kind in _TOLD_KINDS and queued.status not in (RequestStatus.RECEIVED,):
        try:
            told = tuple(ctx.rights.recipients_told(uow, staff, queued.reference))
        except ServiceError:
            told = ()  # the list is a help for the officer; the page stands without it
    return RightsView(
        rectify=kind is RequestKind.RECTIFICATION and working,
        erase=kind is RequestKind.ERASURE and working,
        restrict=kind is RequestKind.RESTRICTION
        and working
        and "request.restricted" not in history,
        lift=kind in (RequestKind.RESTRICTION, RequestKind.RECTIFICATION) and restricted,
        object=kind is RequestKind.OBJECTION and working and not recorded,
        decide=kind is RequestKind.OBJECTION and working and recorded and not decided,
        fields=tuple((field, FIELD_LABELS[field]) for field in CORRECTABLE),
        activities=tuple((a.id, a.name.in_language(lang)) for a in policy.activities),
        categories=tuple((c.id, c.name.in_language(lang)) for c in policy.data_categories),
        objectable=tuple(objectable.items()),
        overridable=tuple(overridable),
        told=told,
    )


_STEP_FIELDS = {Action.EXTEND: ("months", "reason"), Action.REFUSE: ("reason",)}
_STEP_MESSAGES = {
    "conflict": N_("This step is not possible from the request's status now."),
    "reason": N_("Give the reasons: the requester is told them (GDPR art. 12(3)-(4))."),
    "months": N_("Choose 1 or 2 months."),
    "too_late": N_(
        "An extension must be told within one month of receipt, and it is at most two months "
        "in all (GDPR art. 12(3))."
    ),
    "kind": N_("Choose the right the request asks for."),
    "answer": N_("Only an access or portability request in progress is answered with a copy."),
    "storage": N_(
        "There is no space left on the server's disk for the answer's file. Nothing was kept "
        "and the request is as it was: ask the operator to free space, then answer again."
    ),
    **GATE_MESSAGES,  # the manual tasks and four-eyes approval (web.console.request_tasks)
}
_NEW_LABELS = {
    "email": N_("The person's e-mail address"),
    "type": N_("What does the person ask for?"),
    "identity_check": N_("How was the person's identity checked?"),
    "language": N_("Language of the answer"),
    "details": N_("The person's own words (optional)"),
}
_RANGE_ERRORS = {
    "weeks": N_("Choose a whole number of weeks from 1 to %(max)s."),
    "until": N_("Choose a week that has begun, written as 2026-W48."),
}
_LANGUAGE_NAMES = {"nl": N_("Dutch"), "en": N_("English")}


class StaffFiledRequest(BaseModel):
    """A request someone made by phone, letter or at the desk (L54), as staff file it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    email: Email
    type: RightAsked
    # L57: proportionate checks, never a copy of an ID; kept with the request
    identity_check: Annotated[str, Field(min_length=1, max_length=500)]
    language: Language = "nl"
    details: Details = ""


def _words(request: Request) -> dict[str, Any]:
    return {
        "kind_names": KIND_NAMES,
        "status_names": STATUS_NAMES,
        "channel_names": CHANNEL_NAMES,
        "articles": {kind.value: article for kind, article in ARTICLES.items()},
    }


# --- the queue ------------------------------------------------------------------------------


@router.get("/requests")
def queue(request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff) -> Response:
    """The requests by due date, overdue ones first and marked; open ones unless asked."""
    show = "all" if request.query_params.get("show") == "all" else "open"
    asked = request.query_params.get("kind") or ""
    kind = asked if asked in {k.value for k in RequestKind} else ""
    rows = ctx.requests.queue(uow, open_only=show == "open")
    if kind:
        rows = [row for row in rows if row.kind.value == kind]
    today = ctx.requests.local_date(ctx.clock.now())
    # overdue first (the most overdue on top), then by due date: the table's order is kept
    ordered = sorted(rows, key=lambda row: (not row.overdue, row.due_on))
    return _page(
        request,
        "console/requests.html.j2",
        staff,
        rows=[(row, (row.due_on - today).days) for row in ordered],
        show=show,
        kind=kind,
        kinds=[k.value for k in RequestKind],
        overdue=sum(1 for row in ordered if row.overdue),
        # the watchdog's alerts of each request's current stay (issue 15 item 7)
        alerts=ctx.watchdog.open_alerts(uow),
        utc=_utc_text,
        notice=notice(request, ACTION_NOTICES),
        **_words(request),
    )


# --- filing a request for someone who phoned or wrote (L54) ---------------------------------


def _new_form(request: Request, typed: dict[str, str] | None = None) -> Form:
    return Form(page_language(request), "request-new", _NEW_LABELS, typed)


@router.get("/requests/new")
def new_page(request: Request, staff: CurrentStaff) -> Response:
    """The form: address, right, how identity was checked, language, the person's words."""
    return _new_page(request, staff, _new_form(request, {"language": page_language(request)}))


@router.post("/requests/new")
def file_request(
    request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff, fields: CheckedForm
) -> Response:
    """File it (verified at once: staff checked identity) and acknowledge it to the person."""
    form = _new_form(request, fields)
    data = {
        "email": form.text("email"),
        "type": fields.get("type") or None,
        "identity_check": form.text("identity_check"),
        "language": fields.get("language") or None,
        "details": form.text("details", multiline=True),
    }
    command = form.model(StaffFiledRequest, data)
    if command is None:
        return _new_page(request, staff, form, status=422)
    try:
        receipt = ctx.requests.file_by_staff(
            uow,
            staff,
            email=command.email,
            kind=command.type.kind,
            text=command.details,
            identity_check=command.identity_check,
            language=command.language,
        )
    except ServiceError as error:
        return _new_page(request, staff, form, status=form.service_error(error))
    return redirect(f"/console/requests/{receipt.reference}?notice=filed")


def _new_page(request: Request, staff: StaffMember, form: Form, *, status: int = 200) -> Response:
    gettext = translations(page_language(request)).gettext
    response = _page(
        request,
        "console/request_new.html.j2",
        staff,
        form=form,
        rights=[("", gettext("Choose…"))]
        + [(right.value, gettext(KIND_NAMES[right.value])) for right in RightAsked],
        answer_languages=[(code, gettext(name)) for code, name in _LANGUAGE_NAMES.items()],
    )
    response.status_code = status
    return response


# --- figures --------------------------------------------------------------------------------


@router.get("/requests/figures")
def figures(request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff) -> Response:
    """Requests per kind per ISO week, and days from receipt to completion per week."""
    weeks_field = request.query_params.get("weeks")
    until_field = request.query_params.get("until")
    lang = page_language(request)
    try:
        weeks = WeekRange.choose(weeks=weeks_field, until=until_field, now=ctx.clock.now())
    except RangeInvalid as refused:
        response = _page(
            request,
            "console/request_figures.html.j2",
            staff,
            report=None,
            chosen={"weeks": weeks_field or "", "until": until_field or ""},
            error_field=refused.field,
            error=_RANGE_ERRORS[refused.field],
            max_weeks=MAX_WEEKS,
            default_weeks=DEFAULT_WEEKS,
        )
        response.status_code = 422
        return response
    try:
        report = ctx.request_stats.weekly(uow, staff, weeks)
    except NotPermitted:  # a role the table lets in but the service does not (never today)
        return error_page(request, 403, N_("Not allowed"), N_("You may not do this."))
    return _page(
        request,
        "console/request_figures.html.j2",
        staff,
        report=report,
        chosen={"weeks": str(weeks.count), "until": str(weeks.last)},
        error_field=None,
        error=None,
        max_weeks=MAX_WEEKS,
        default_weeks=DEFAULT_WEEKS,
        **_charts(report, lang),
    )


def _charts(report: RequestReport, lang: str) -> dict[str, Any]:
    gettext = translations(lang).gettext
    kinds = {kind: gettext(KIND_NAMES[kind]) for kind in report.kinds}

    def days(value: Fraction) -> str:
        return str(format_decimal(float(value), "#,##0.#", locale=lang))

    first, last = str(report.weeks.first), str(report.weeks.last)
    received = ChartText(
        ident="request-kind-chart",
        title=gettext("Requests received per week by kind"),
        desc=gettext(
            "Stacked bar chart of the requests received in each week from %(first)s to "
            "%(last)s, split by the right asked for. The table below the chart gives every "
            "figure."
        )
        % {"first": first, "last": last},
        names=kinds,
        percent=days,
    )
    lines = {"median": gettext("Median"), "p90": gettext("90th percentile")}
    answered = ChartText(
        ident="request-answer-chart",
        title=gettext("Days to answer, per week of completion"),
        desc=gettext(
            "Line chart of the median and the 90th percentile of the days from receipt to "
            "completion of the requests completed in each week from %(first)s to %(last)s. "
            "The table below the chart gives every figure."
        )
        % {"first": first, "last": last},
        names=lines,
        percent=days,
    )
    labels = [str(week.week) for week in report.answered]
    medians = [None if w.median is None else float(w.median) for w in report.answered]
    p90s = [None if w.p90 is None else float(w.p90) for w in report.answered]
    return {
        "kind_svg": withdrawal_chart(report.received, report.kinds, received),
        "answer_svg": value_chart(labels, [("median", medians), ("p90", p90s)], answered),
        "kind_labels": kinds,
        "days": days,
    }


# --- one request ----------------------------------------------------------------------------


@router.get("/requests/{reference}")
def detail(
    request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff, reference: str
) -> Response:
    """The request, decrypted for the officer under rights_handling (access-logged)."""
    return _detail_page(request, ctx, uow, staff, reference)


@router.get("/requests/{reference}/mails/{mail_id}")
def mail(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    reference: str,
    mail_id: str,
) -> Response:
    """A mail of the request as it arrived, all its bytes (read through the seam)."""
    if not mail_id.isdigit() or len(mail_id) > 18:
        return _not_found(request)
    try:
        raw = ctx.requests.mail_of(uow, staff, reference, int(mail_id))
    except RequestNotFound:
        return _not_found(request)
    return Response(
        raw,
        media_type="message/rfc822",
        headers={
            "Content-Disposition": f'attachment; filename="{reference}-{mail_id}.eml"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/requests/{reference}/act")
def act(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    reference: str,
    fields: CheckedForm,
) -> Response:
    """One step of the status table; an extension or a refusal is told to the requester."""
    try:
        action = Action(fields.get("action", ""))
    except ValueError:
        action = Action.VERIFY  # not a staff step: refused below as the table would
    lang = page_language(request)
    form = Form(lang, f"request-{action.value}", {"months": "months", "reason": "reason"}, fields)
    months, reason = 0, None
    if action in _STEP_FIELDS:
        reason = form.text("reason", multiline=True)
        if reason is None and not form.invalid:
            form.refuse("reason", _STEP_MESSAGES["reason"])
    if action is Action.EXTEND:
        text = fields.get("months", "")
        if text not in {"1", "2"}:
            form.refuse("months", _STEP_MESSAGES["months"])
        else:
            months = int(text)
    if action not in _ALLOWED_ACTIONS:
        return _refused(request, ctx, uow, staff, reference, action, "conflict", 409, fields)
    if form.invalid:
        return _refused_form(request, ctx, uow, staff, reference, action, form, fields)
    try:
        ctx.requests.act(uow, staff, reference, action, reason=reason, months=months)
    except RequestNotFound:
        return _not_found(request)
    except TasksOpen:
        return _refused(request, ctx, uow, staff, reference, action, "tasks", 409, fields)
    except Conflict:
        return _refused(request, ctx, uow, staff, reference, action, "conflict", 409, fields)
    except InvalidField as refused:
        key = "reason" if refused.field == "reason" else "too_late"
        return _refused(request, ctx, uow, staff, reference, action, key, 422, fields)
    return redirect(f"/console/requests/{reference}?notice={action.value}")


_ALLOWED_ACTIONS = frozenset(ACTION_BUTTONS)


@router.post("/requests/{reference}/classify")
def classify(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    reference: str,
    fields: CheckedForm,
) -> Response:
    """Name the right an unclear request asks for (L54: a person classifies it)."""
    try:
        kind = RequestKind(fields.get("kind", ""))
    except ValueError:
        kind = RequestKind.UNCLEAR
    if kind is RequestKind.UNCLEAR:
        return _refused(request, ctx, uow, staff, reference, "classify", "kind", 422, fields)
    try:
        ctx.requests.classify(uow, staff, reference, kind)
    except RequestNotFound:
        return _not_found(request)
    except Conflict:
        return _refused(request, ctx, uow, staff, reference, "classify", "conflict", 409, fields)
    return redirect(f"/console/requests/{reference}?notice=classify")


@router.post("/requests/{reference}/answer")
def answer(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    reference: str,
    _fields: CheckedForm,
) -> Response:
    """Answer an access or portability request in progress: the ZIP, and a mailed link."""
    try:
        with uow.reading() as connection:
            row = ctx.requests.row_in(connection, reference)
        if RequestStatus(row.status) not in (RequestStatus.IN_PROGRESS, RequestStatus.EXTENDED):
            # refused before the data is collected: no export is made (and access-logged)
            # for a request that cannot be completed now
            return _refused(request, ctx, uow, staff, reference, "answer", "answer", 409, {})
        ctx.answers.answer(uow, staff, reference)
    except RequestNotFound:
        return _not_found(request)
    except TasksOpen:
        return _refused(request, ctx, uow, staff, reference, "answer", "tasks", 409, {})
    except ApprovalPending:
        return _refused(request, ctx, uow, staff, reference, "answer", "approval", 409, {})
    except ApprovalDenied:
        return _refused(request, ctx, uow, staff, reference, "answer", "denied", 409, {})
    except Conflict:
        return _refused(request, ctx, uow, staff, reference, "answer", "answer", 409, {})
    except StorageFull:  # the disk full under the ZIP (issue 16 item 4): nothing was kept
        return _refused(request, ctx, uow, staff, reference, "answer", "storage", 503, {})
    return redirect(f"/console/requests/{reference}?notice=answer")


def _refused(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: StaffMember,
    reference: str,
    step: Action | str,
    key: str,
    status: int,
    fields: dict[str, str],
) -> Response:
    gettext = translations(page_language(request)).gettext
    name = step.value if isinstance(step, Action) else step
    return _detail_page(
        request,
        ctx,
        uow,
        staff,
        reference,
        step_errors={name: {"": gettext(_STEP_MESSAGES[key])}},
        typed={name: fields},
        status=status,
    )


def _refused_form(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: StaffMember,
    reference: str,
    action: Action,
    form: Form,
    fields: dict[str, str],
) -> Response:
    return _detail_page(
        request,
        ctx,
        uow,
        staff,
        reference,
        step_errors={action.value: dict(form.errors)},
        typed={action.value: fields},
        status=422,
    )


def _detail_page(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: StaffMember,
    reference: str,
    *,
    step_errors: dict[str, dict[str, str]] | None = None,
    typed: dict[str, dict[str, str]] | None = None,
    status: int = 200,
    erased: ErasureDone | None = None,
) -> Response:
    try:
        found = ctx.requests.detail(uow, staff, reference)
    except RequestNotFound:
        return _not_found(request)
    queued: QueuedRequest = found.request
    rights = _rights_view(
        request, ctx, uow, staff, queued, frozenset(entry.action for entry in found.history)
    )
    answerable = queued.kind in (RequestKind.ACCESS, RequestKind.PORTABILITY) and (
        queued.status in (RequestStatus.IN_PROGRESS, RequestStatus.EXTENDED)
    )
    classifiable = queued.kind is RequestKind.UNCLEAR and queued.status.open
    shown = {action.value for action in found.actions}
    shown |= {"answer"} if answerable else set()
    shown |= {"classify"} if classifiable else set()
    shown |= rights.steps
    typed = dict(typed or {})
    if queued.repetition and "refuse" not in typed:
        words = translations(page_language(request)).gettext(_ART_12_5_GROUNDS)
        typed["refuse"] = {"reason": words.format(references=", ".join(found.repeat_of))}
    response = _page(
        request,
        "console/request.html.j2",
        staff,
        detail=found,
        q=queued,
        actions=[(action.value, ACTION_BUTTONS[action]) for action in found.actions],
        answerable=answerable,
        classifiable=classifiable,
        shown_steps=shown,
        classes=[k.value for k in RequestKind if k is not RequestKind.UNCLEAR],
        step_errors=step_errors or {},
        typed=typed,
        history_names=_HISTORY_NAMES,
        extra_steps=EXTRA_STEP_TEMPLATES,
        rights=rights,
        erased=erased,
        tasks=ctx.tasks.tasks(uow, staff, reference),
        approvals=ctx.tasks.approvals(uow, reference),
        staff_id=staff.staff_id,
        **_TASK_WORDS,
        field_labels=FIELD_LABELS,
        notice=notice(request, _NOTICES),
        utc=_utc_text,
        **_words(request),
    )
    response.status_code = status
    return response


def _utc_text(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")


def _not_found(request: Request) -> Response:
    return error_page(
        request,
        404,
        N_("No such request"),
        N_("No request has this reference. Check it, or find the request in the queue."),
    )
