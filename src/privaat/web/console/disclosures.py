"""The console's disclosure register (issue 13 item 5, P12, LEGAL L36; item 6, P13, L37-L38).

    GET  /console/disclosures                   the register, newest first: each disclosure
                                                and each carrier handover (P11, read-only),
                                                by pseudonym, never a name
    GET  /console/disclosures/new               the form: person, legal ground, recipient, who
                                                asked, reference, scope, a legal bar
    POST /console/disclosures/new               record it: the ground and the recipient are
                                                mandatory; a refused one is the form again
                                                with the reason at its field, nothing stored
    GET  /console/disclosures/{disclosure_id}   one disclosure, its texts opened under the
                                                guard (access-logged)

Only the privacy officer keeps the register (the role table; the service checks it again).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from privaat.domain.disclosures import (
    DisclosureGround,
    DisclosureRequest,
    DisclosureScope,
    LegalBar,
)
from privaat.domain.errors import AccessDenied
from privaat.domain.principal import StaffMember
from privaat.domain.transfers import TransferReason, TransferRefused
from privaat.i18n import N_, translations
from privaat.services.disclosures import DisclosureInvalid, DisclosureNotFound
from privaat.services.errors import Conflict, NotPermitted
from privaat.web.console.access import ConsoleRoute, CurrentStaff, authorise
from privaat.web.console.routes import _page
from privaat.web.deps import ContextDep, UowDep
from privaat.web.pages.csrf import CheckedForm
from privaat.web.pages.forms import Form
from privaat.web.pages.layout import notice, page_language, redirect
from privaat.web.pages.page_errors import status_page

__all__ = ["GROUND_WORDS", "router"]

router = APIRouter(
    prefix="/console",
    route_class=ConsoleRoute,
    include_in_schema=False,
    dependencies=[Depends(authorise)],  # the role table, for every route below
)

GROUND_WORDS = {
    DisclosureGround.LEGAL_ORDER: N_("Legal order (court order, police or prosecutor's demand)"),
    DisclosureGround.ENFORCING_TERMS: N_("Enforcing our terms and conditions"),
    DisclosureGround.LEGAL_CLAIMS: N_("Legal claims"),
    DisclosureGround.CONSENT: N_("The person's consent"),
    DisclosureGround.CORPORATE_TRANSFER: N_("Corporate transfer (merger, acquisition)"),
}
_PROCESSOR = N_("Handover to a processor or carrier (P11)")
_SUBPROCESSOR = N_("Sub-processor change told to a business customer (art. 28(2))")
_LABELS = {
    "subject": N_("Subject number of the person"),
    "ground": N_("Legal ground"),
    "recipient": N_("Recipient"),
    "country": N_("Country of the recipient"),
    "requested_by": N_("Who asked (authority or party)"),
    "reference": N_("Their reference"),
    "categories": N_("Data categories"),
    "window_start": N_("Records from (date)"),
    "window_end": N_("Records until (date, exclusive)"),
    "bar_until": N_("The person may not be told until (date)"),
    "bar_reason": N_("Order that bars telling the person"),
}
# the register's reasons (services.disclosures) in the words of the form, by field
_FIELD_WORDS = {
    "subject": N_("Enter the person's subject number."),
    "ground": N_("Choose the legal ground: no disclosure is recorded without one."),
    "recipient": N_("Choose a recipient from the policy: no disclosure without one."),
    "country": N_("Enter a two-letter country code such as NL."),
    "requested_by": N_("Say who asked: the authority or party."),
    "reference": N_("Use at most 200 characters."),
    "categories": N_("The ground's activity may not disclose one of these categories."),
    "window": N_("The end of the window must come after its start."),
    "bar_until": N_("A legal bar ends on a date in the future."),
    "bar_reason": N_("Name the order that bars telling the person."),
}
_CATEGORY = "category_"
_NOTICES = {"recorded": N_("The disclosure is recorded, with what was handed over.")}


def _not_found(request: Request) -> Response:
    page = status_page(request, 404)
    assert page is not None  # noqa: S101  (the site has a 404 page)
    return page


@router.get("/disclosures")
def register(request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff) -> Response:
    """The register: every disclosure and carrier handover, newest first."""
    _ = translations(page_language(request)).gettext
    rows = [
        {
            "kind": entry.kind,
            "id": entry.id,
            "at": entry.at.strftime("%Y-%m-%d %H:%M"),
            "ground": _(_ground_words(entry.ground)),
            "recipient": entry.recipient,
            "country": entry.country or "",
            "pseudonym": entry.pseudonym,
            "fields": ", ".join(entry.handed_fields),
            "barred": entry.bar_until.isoformat() if entry.bar_until else None,
        }
        for entry in ctx.disclosures.register(uow, staff)
    ]
    return _page(request, "console/disclosures.html.j2", staff, rows=rows)


@router.get("/disclosures/new")
def new_disclosure_page(request: Request, ctx: ContextDep, staff: CurrentStaff) -> Response:
    """The form for a new disclosure."""
    return _new_page(request, ctx, staff, _form(request, {}), frozenset())


@router.post("/disclosures/new")
def record_disclosure(
    request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff, fields: CheckedForm
) -> Response:
    """Record a disclosure; refused: the form again with the reason at its field."""
    form = _form(request, fields)
    # one checkbox per category: ``category_<id>`` is sent only when ticked
    chosen = frozenset(
        name.removeprefix(_CATEGORY) for name in fields if name.startswith(_CATEGORY)
    )
    subject_text = (form.text("subject") or "").strip()
    subject_id = int(subject_text) if subject_text.isdigit() else None
    if subject_text and subject_id is None:
        form.refuse("subject", _FIELD_WORDS["subject"])
    start = _day(form, "window_start")
    end = _day(form, "window_end")
    bar_until = _day(form, "bar_until")
    bar_reason = form.text("bar_reason") or ""
    if bar_reason and bar_until is None and "bar_until" not in form.errors:
        form.refuse("bar_until", _FIELD_WORDS["bar_until"])
    if form.invalid:
        return _new_page(request, ctx, staff, form, chosen, status=422)
    request_ = DisclosureRequest(
        subject_id=subject_id,
        ground=form.text("ground"),
        recipient=form.text("recipient"),
        requested_by=form.text("requested_by") or "",
        reference=form.text("reference") or "",
        country=(form.text("country") or "").upper() or None,
        scope=DisclosureScope(
            categories=chosen,
            start=_midnight(start),
            end=_midnight(end),
        ),
        bar=LegalBar(bar_until, bar_reason) if bar_until is not None else None,
    )
    try:
        disclosure_id = ctx.disclosures.record(uow, staff, request_)
    except DisclosureInvalid as refused:
        for field in refused.problems:
            target = "window_end" if field == "window" else field
            form.refuse(target, _FIELD_WORDS.get(field, N_("This value is not accepted.")))
        return _new_page(request, ctx, staff, form, chosen, status=422)
    except TransferRefused as refused:
        decision = refused.decision
        if decision.reason is TransferReason.NO_GROUP_CONSENT:
            form.refuse(
                "recipient",
                N_(
                    "This group company receives data only with the person's explicit "
                    "consent, and there is no valid one (P13)."
                ),
            )
        else:
            form.refuse(
                "country",
                N_(
                    "No transfer to {country}: it lies outside the EEA and the policy records "
                    "no art. 45/46 basis for this recipient."
                ),
                country=decision.country,
            )
        return _new_page(request, ctx, staff, form, chosen, status=422)
    except AccessDenied as denied:
        form.refuse_form(
            N_("The guard refuses this disclosure for this person: {reason}."),
            reason=str(denied.decision.reason or ""),
        )
        return _new_page(request, ctx, staff, form, chosen, status=403)
    except (Conflict, NotPermitted) as error:
        form.refuse_form(N_("This disclosure cannot be recorded: {reason}."), reason=str(error))
        return _new_page(request, ctx, staff, form, chosen, status=409)
    return redirect(f"/console/disclosures/{disclosure_id}?notice=recorded")


@router.get("/disclosures/{disclosure_id}")
def disclosure_page(
    request: Request, disclosure_id: str, ctx: ContextDep, uow: UowDep, staff: CurrentStaff
) -> Response:
    """One disclosure: ground, recipient, who asked, scope, what was handed and its digest."""
    if not disclosure_id.isdigit() or len(disclosure_id) > 18:
        return _not_found(request)  # not a number: no such page, never a 422
    try:
        view = ctx.disclosures.show(uow, staff, int(disclosure_id))
    except DisclosureNotFound:
        return _not_found(request)
    _ = translations(page_language(request)).gettext
    return _page(
        request,
        "console/disclosure.html.j2",
        staff,
        view=view,
        ground=_(_ground_words(view.entry.ground)),
        notice=notice(request, _NOTICES),
    )


# --- the steps ---------------------------------------------------------------------------


def _ground_words(ground: str) -> str:
    if ground == "processor":
        return _PROCESSOR
    if ground == "subprocessor_change":
        return _SUBPROCESSOR
    try:
        return GROUND_WORDS[DisclosureGround(ground)]
    except ValueError:
        return ground


def _form(request: Request, typed: Any) -> Form:
    return Form(page_language(request), "disclosure", _LABELS, dict(typed or {}))


def _day(form: Form, name: str) -> date | None:
    text = form.text(name)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        form.refuse(name, N_("Enter a date as year-month-day, such as 2026-12-31."))
        return None


def _midnight(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def _new_page(
    request: Request,
    ctx: ContextDep,
    staff: StaffMember,
    form: Form,
    chosen: frozenset[str],
    *,
    status: int = 200,
) -> Response:
    gettext = translations(page_language(request)).gettext
    grounds = [("", gettext(N_("Choose…")))] + [
        (ground.value, gettext(words)) for ground, words in GROUND_WORDS.items()
    ]
    recipients = [("", gettext(N_("Choose…")))] + ctx.disclosures.recipients()
    response = _page(
        request,
        "console/disclosure_new.html.j2",
        staff,
        form=form,
        grounds=grounds,
        recipients=recipients,
        categories=ctx.disclosures.categories(),
        chosen=chosen,
    )
    response.status_code = status
    return response
