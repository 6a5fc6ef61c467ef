"""The console's breach register with its running clock (issue 13 item 4, P10, L68-L71).

    GET  /console/breaches                          every breach, newest first: the clock to
                                                    the AP (time left, or OVERDUE), risk, counts
    GET  /console/breaches/new  POST …/new          record one (declared before /{breach_id})
    GET  /console/breaches/{breach_id}              the breach, its history, the next steps
    GET  /console/breaches/{breach_id}/notification the prefilled art. 33(3) report;
                                                    ?format=text|json downloads it
    POST /console/breaches/{breach_id}/update       further information (art. 33(4))
    POST /console/breaches/{breach_id}/reported     the AP has it: when, its reference
    POST /console/breaches/{breach_id}/not-reported the reason (art. 33(5))
    POST /console/breaches/{breach_id}/assess       the risk assessed again, with the reason
    POST /console/breaches/{breach_id}/exempt       an art. 34(3) exemption
    POST /console/breaches/{breach_id}/notify       art. 34: the notices, each person once

The privacy officer's only (the role table). Every POST is CSRF-checked and redirects with
``?notice=`` when it worked; a refused step is the page again with the reason at its form
(422 for a field, 409 for a step the breach's state does not allow), and nothing changed.
Times are entered and shown in UTC, as the register keeps them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from privaat.domain.breaches import ClockState, Exemption, Nature, RiskLevel, UpdateKind
from privaat.domain.principal import StaffMember
from privaat.i18n import N_, translations
from privaat.mail.breach_notice import NoticeWords
from privaat.services.breach_report import NATURE_WORDS
from privaat.services.breaches import BreachDraft, BreachNotFound, BreachView, Scope
from privaat.services.errors import Conflict, InvalidField, NotPermitted, ServiceError
from privaat.web.console.access import ConsoleRoute, CurrentStaff, authorise
from privaat.web.console.routes import _page
from privaat.web.deps import ContextDep, UowDep
from privaat.web.pages.csrf import CheckedForm
from privaat.web.pages.forms import Form
from privaat.web.pages.layout import notice, page_language, redirect
from privaat.web.pages.page_errors import status_page

__all__ = ["router"]

router = APIRouter(
    prefix="/console",
    route_class=ConsoleRoute,
    include_in_schema=False,
    dependencies=[Depends(authorise)],  # the role table, for every route below
)

_NOTICES = {
    "recorded": N_("The breach is in the register. Its clock to the authority is running."),
    "update": N_("The update is added; the earlier entries stay as they were."),
    "reported": N_("The report to the authority is recorded."),
    "not-reported": N_("The reason it is not reported is recorded; the breach stays listed."),
    "exempt": N_("The exemption is recorded: the people are not told."),
    "assess": N_("The new assessment of the risk is recorded."),
    "notified": N_("The notices are queued in the outbox; each person is told once."),
}
RISK_WORDS = {
    RiskLevel.NONE: N_("unlikely to be a risk: registered, not reported"),
    RiskLevel.RISK: N_("a risk: reported to the authority"),
    RiskLevel.HIGH: N_("a high risk: reported, and the people are told"),
}
CLOCK_WORDS = {
    ClockState.RUNNING: N_("running"),
    ClockState.OVERDUE: N_("overdue"),
    ClockState.REPORTED: N_("reported in time"),
    ClockState.REPORTED_LATE: N_("reported late"),
    ClockState.NOT_REPORTED: N_("not reported (reason recorded)"),
}
EXEMPTION_WORDS = {
    Exemption.UNINTELLIGIBLE: N_("(a) the data was encrypted or otherwise unintelligible"),
    Exemption.RISK_REMOVED: N_("(b) later measures make the high risk no longer likely"),
    Exemption.PUBLIC_NOTICE: N_("(c) telling each person is disproportionate: a public notice"),
}
UPDATE_WORDS = {
    UpdateKind.RECORDED: N_("recorded"),
    UpdateKind.ADDITION: N_("further information"),
    UpdateKind.REPORTED: N_("reported to the authority"),
    UpdateKind.NOT_REPORTED: N_("not reported"),
    UpdateKind.ASSESSED: N_("risk assessed again"),
    UpdateKind.EXEMPTED: N_("exempted (art. 34(3))"),
    UpdateKind.NOTIFIED: N_("people notified (art. 34)"),
}
_NEW_LABELS = {
    "discovered_at": N_("Discovered at (UTC)"),
    "occurred_from": N_("Happened from (UTC)"),
    "occurred_until": N_("Happened until (UTC)"),
    "nature": N_("Nature"),
    "risk": N_("Risk to the people"),
    "description": N_("What happened"),
    "tables": N_("Tables it touched"),
    "activities": N_("Activities it touched"),
    "from": N_("From (UTC)"),
    "until": N_("Until (UTC)"),
    "data_categories": N_("Data categories"),
    "subject_categories": N_("Categories of people"),
    "people_estimate": N_("Estimated number of people"),
    "records_estimate": N_("Estimated number of records"),
    "consequences": N_("Likely consequences"),
    "measures": N_("Measures taken or proposed"),
}
_NOTICE_PARTS = {
    "happened": N_("What happened"),
    "consequences": N_("What this may mean for you"),
    "measures": N_("What we have done"),
    "advice": N_("What you can do"),
}
_INVALID_TIME = N_("Enter a date and time, such as 2026-11-30 14:00.")
_INVALID_NUMBER = N_("Enter a whole number, 0 or more.")


def _not_found(request: Request) -> Response:
    page = status_page(request, 404)
    assert page is not None  # noqa: S101  (the site has a 404 page)
    return page


def _number(value: str) -> int | None:
    """The breach number of a path, or None for anything else (then: not found)."""
    return int(value) if value.isdigit() and len(value) <= 12 else None


def _moment(form: Form, name: str, value: str) -> datetime | None:
    """A ``datetime-local`` value read as UTC; None when empty or refused (noted at its field)."""
    if not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        form.refuse(name, _INVALID_TIME)
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.replace("\n", ",").split(",") if part.strip())


def _count(form: Form, name: str, value: str) -> int | None:
    if not value.strip():
        return None
    if not value.strip().isdigit():
        form.refuse(name, _INVALID_NUMBER)
        return None
    return int(value.strip())


def _left(delta: timedelta) -> str:
    """Hours and minutes of a clock reading, such as ``21 h 05 min``."""
    minutes = int(abs(delta).total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _clock(request: Request, summary: Any) -> dict[str, Any]:
    _ = translations(page_language(request)).gettext
    clock = summary.clock
    if clock.state is ClockState.RUNNING:
        words = _("%(left)s left") % {"left": _left(clock.left)}
    elif clock.state is ClockState.OVERDUE:
        words = _("OVERDUE by %(late)s") % {"late": _left(clock.left)}
    else:
        words = _(CLOCK_WORDS[clock.state])
    return {
        "state": clock.state.value,
        "words": words,
        "due": clock.due.strftime("%Y-%m-%d %H:%M"),
        "due_iso": clock.due.isoformat(),
        "flagged": clock.flagged,
        "hours": summary.report_hours,
    }


# --- the register ---------------------------------------------------------------------------


@router.get("/breaches")
def breaches_page(request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff) -> Response:
    """Every breach with its clock; an overdue one is flagged in words, not colour alone."""
    _ = translations(page_language(request)).gettext
    register = ctx.breaches.register(uow, staff)
    rows: list[dict[str, Any]] = [
        {
            "reference": row.reference,
            "id": row.id,
            "discovered": row.discovered_at.strftime("%Y-%m-%d %H:%M"),
            "risk": _(RISK_WORDS[row.risk]),
            "clock": _clock(request, row),
            "people": row.people,
            "records": row.records,
            "estimated": row.estimated,
            "notified": row.notified,
        }
        for row in register
    ]
    return _page(
        request,
        "console/breaches.html.j2",
        staff,
        rows=rows,
        overdue=sum(1 for row in register if row.clock.flagged),
        notice=notice(request, _NOTICES),
    )


def _new_form(request: Request, typed: dict[str, str] | None = None) -> Form:
    return Form(page_language(request), "breach-new", _NEW_LABELS, typed)


def _new_page(
    request: Request, ctx: ContextDep, staff: StaffMember, form: Form, *, status: int = 200
) -> Response:
    _ = translations(page_language(request)).gettext
    lang = page_language(request)
    response = _page(
        request,
        "console/breach_new.html.j2",
        staff,
        form=form,
        natures=[(n.value, _(NATURE_WORDS[n])) for n in Nature],
        risks=[(r.value, _(RISK_WORDS[r])) for r in RiskLevel],
        activities=sorted((a.id, a.name.in_language(lang)) for a in ctx.policy.activities),
        categories=sorted((c.id, c.name.in_language(lang)) for c in ctx.policy.data_categories),
        tables=ctx.breaches.table_names,
    )
    response.status_code = status
    return response


@router.get("/breaches/new")
def new_page(request: Request, ctx: ContextDep, staff: CurrentStaff) -> Response:
    """The form: discovery, nature, risk, what it touched (counted from the data), and more."""
    return _new_page(request, ctx, staff, _new_form(request, {"risk": RiskLevel.RISK.value}))


@router.post("/breaches/new")
def record(
    request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff, fields: CheckedForm
) -> Response:
    """Enter the breach; its clock starts at the discovery (art. 33(1))."""
    form = _new_form(request, fields)
    get = fields.get
    discovered = _moment(form, "discovered_at", get("discovered_at", ""))
    if discovered is None and "discovered_at" not in form.errors:
        form.refuse("discovered_at", N_("A breach needs the moment it was discovered."))
    draft = BreachDraft(
        discovered_at=discovered,
        nature=get("nature", ""),
        risk=get("risk", ""),
        description=get("description", ""),
        consequences=get("consequences", ""),
        measures=get("measures", ""),
        data_categories=_list(get("data_categories", "")),
        subject_categories=_list(get("subject_categories", "")),
        occurred_from=_moment(form, "occurred_from", get("occurred_from", "")),
        occurred_until=_moment(form, "occurred_until", get("occurred_until", "")),
        scope=Scope(
            tables=_list(get("tables", "")),
            activities=_list(get("activities", "")),
            start=_moment(form, "from", get("from", "")),
            end=_moment(form, "until", get("until", "")),
        ),
        people_estimate=_count(form, "people_estimate", get("people_estimate", "")),
        records_estimate=_count(form, "records_estimate", get("records_estimate", "")),
    )
    if form.invalid:
        return _new_page(request, ctx, staff, form, status=422)
    try:
        breach_id = ctx.breaches.record(uow, staff, draft)
    except InvalidField as error:
        form.refuse(error.field, error.message)
        return _new_page(request, ctx, staff, form, status=422)
    return redirect(f"/console/breaches/{breach_id}?notice=recorded")


# --- one breach ------------------------------------------------------------------------------


@router.get("/breaches/{breach_id}")
def breach_page(
    request: Request, breach_id: str, ctx: ContextDep, uow: UowDep, staff: CurrentStaff
) -> Response:
    """The breach, its whole history, and the steps still open."""
    number = _number(breach_id)
    if number is None:
        return _not_found(request)
    return _breach(request, ctx, uow, staff, number)


@router.get("/breaches/{breach_id}/notification")
def notification(
    request: Request, breach_id: str, ctx: ContextDep, uow: UowDep, staff: CurrentStaff
) -> Response:
    """The art. 33(3) notification to copy; ``?format=text`` or ``json`` downloads it."""
    lang, number = page_language(request), _number(breach_id)
    if number is None:
        return _not_found(request)
    try:
        report = ctx.breaches.notification(uow, staff, number, lang)
    except BreachNotFound:
        return _not_found(request)
    kind = request.query_params.get("format")
    name = f"breach-B-{number:04d}-art33"
    if kind == "json":
        body = json.dumps(report.document, indent=2, ensure_ascii=False)
        return Response(
            body,
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}.json"'},
        )
    if kind == "text":
        return Response(
            report.text,
            media_type="text/plain; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.txt"'},
        )
    return _page(
        request,
        "console/breach_notification.html.j2",
        staff,
        breach_id=number,
        reference=f"B-{number:04d}",
        text=report.text,
    )


def _step(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: StaffMember,
    breach_id: str,
    step: str,
    run: Callable[[int], object],
    typed: dict[str, str],
) -> Response:
    """Run one step; its notice on success, else the page again with the reason at its form."""
    number = _number(breach_id)
    if number is None or not ctx.breaches.exists(uow, number):
        return _not_found(request)
    try:
        run(number)
    except (InvalidField, Conflict, NotPermitted) as error:
        code = 422 if isinstance(error, InvalidField) else 409
        return _breach(
            request, ctx, uow, staff, number, errors={step: error}, typed=typed, code=code
        )
    return redirect(f"/console/breaches/{number}?notice={step}")


@router.post("/breaches/{breach_id}/update")
def add_update(
    request: Request,
    breach_id: str,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    fields: CheckedForm,
) -> Response:
    """Further information in phases (art. 33(4))."""
    text = fields.get("text", "")
    return _step(
        request,
        ctx,
        uow,
        staff,
        breach_id,
        "update",
        lambda n: ctx.breaches.add(uow, staff, n, text),
        fields,
    )


@router.post("/breaches/{breach_id}/reported")
def reported(
    request: Request,
    breach_id: str,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    fields: CheckedForm,
) -> Response:
    """The authority has the report: when (default: now) and the reference it gave."""
    raw = fields.get("reported_at", "").strip()
    at: datetime | None = None
    if raw:
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            number = _number(breach_id)
            if number is None or not ctx.breaches.exists(uow, number):
                return _not_found(request)
            error = InvalidField("reported_at", _INVALID_TIME)
            return _breach(
                request, ctx, uow, staff, number, errors={"reported": error}, typed=fields
            )
        at = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed
    reference = fields.get("reference", "")
    return _step(
        request,
        ctx,
        uow,
        staff,
        breach_id,
        "reported",
        lambda n: ctx.breaches.reported(uow, staff, n, at=at, reference=reference),
        fields,
    )


@router.post("/breaches/{breach_id}/not-reported")
def not_reported(
    request: Request,
    breach_id: str,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    fields: CheckedForm,
) -> Response:
    """Why the breach is not reported (art. 33(5)); it stays in the register."""
    reason = fields.get("reason", "")
    return _step(
        request,
        ctx,
        uow,
        staff,
        breach_id,
        "not-reported",
        lambda n: ctx.breaches.not_reported(uow, staff, n, reason),
        fields,
    )


@router.post("/breaches/{breach_id}/assess")
def assess(
    request: Request,
    breach_id: str,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    fields: CheckedForm,
) -> Response:
    """A new assessment of the risk, with its reason (art. 33(4): information in phases)."""
    risk, reason = fields.get("risk", ""), fields.get("assess_reason", "")
    return _step(
        request,
        ctx,
        uow,
        staff,
        breach_id,
        "assess",
        lambda n: ctx.breaches.assess(uow, staff, n, risk, reason),
        fields,
    )


@router.post("/breaches/{breach_id}/exempt")
def exempt(
    request: Request,
    breach_id: str,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    fields: CheckedForm,
) -> Response:
    """An art. 34(3) exemption with its reason."""
    ground, reason = fields.get("exemption", ""), fields.get("exemption_reason", "")
    return _step(
        request,
        ctx,
        uow,
        staff,
        breach_id,
        "exempt",
        lambda n: ctx.breaches.exempt(uow, staff, n, ground, reason),
        fields,
    )


@router.post("/breaches/{breach_id}/notify")
def notify(
    request: Request,
    breach_id: str,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    fields: CheckedForm,
) -> Response:
    """Queue the art. 34 notice to every person the breach touched, each once."""
    words = {
        lang: NoticeWords(**{part: fields.get(f"{part}_{lang}", "") for part in _NOTICE_PARTS})
        for lang in ctx.policy.policy.languages
    }
    return _step(
        request,
        ctx,
        uow,
        staff,
        breach_id,
        "notified",
        lambda n: ctx.breaches.notify(uow, staff, n, words),
        fields,
    )


def _breach(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: StaffMember,
    breach_id: int,
    *,
    errors: dict[str, ServiceError] | None = None,
    typed: dict[str, str] | None = None,
    code: int = 422,
) -> Response:
    lang = page_language(request)
    _ = translations(lang).gettext
    try:
        view: BreachView = ctx.breaches.breach(uow, staff, breach_id)
    except BreachNotFound:
        return _not_found(request)
    summary = view.summary
    messages: dict[str, dict[str, str]] = {}
    for step, error in (errors or {}).items():
        field = error.field if isinstance(error, InvalidField) else ""
        text = error.message if isinstance(error, InvalidField) else str(error)
        messages[step] = {"field": field, "message": _(text)}
    categories = {c.id: c.name.in_language(lang) for c in ctx.policy.data_categories}
    open_to_tell = (
        summary.risk is RiskLevel.HIGH and view.exemption is None and not view.scope.empty
    )
    response = _page(
        request,
        "console/breach.html.j2",
        staff,
        breach=view,
        summary=summary,
        clock=_clock(request, summary),
        nature=_(NATURE_WORDS[summary.nature]),
        risk=_(RISK_WORDS[summary.risk]),
        categories=[categories.get(c, c) for c in view.data_categories],
        updates=[
            {
                "at": u.at.strftime("%Y-%m-%d %H:%M"),
                "by": u.by,
                "kind": _(UPDATE_WORDS[u.kind]),
                "text": _notified_text(u.text) if u.kind is UpdateKind.NOTIFIED else u.text,
            }
            for u in view.updates
        ],
        exemptions=[(e.value, _(EXEMPTION_WORDS[e])) for e in Exemption],
        risks=[(r.value, _(RISK_WORDS[r])) for r in RiskLevel],
        exemption=_(EXEMPTION_WORDS[view.exemption]) if view.exemption else None,
        can_report=view.reported_at is None,
        can_tell=open_to_tell,
        notice_parts=list(_NOTICE_PARTS.items()),
        notice_languages=ctx.policy.policy.languages,
        step_errors=messages,
        typed=typed or {},
        notice=notice(request, _NOTICES),
    )
    if errors:
        response.status_code = code
    return response


def _notified_text(entry: str) -> str:
    """The NOTIFIED entry's count, without repeating the notice's words on the page."""
    try:
        return str(json.loads(entry)["queued"])
    except (ValueError, KeyError, TypeError):
        return entry
