"""The console's lifecycle pages: retention sweeps, under-16 flags (issue 13 items 1-2).

    GET  /console/customers/{pseudonym}/minor   the under-16 flag's form: a reason from a
                                                fixed list, no document (P18, L47)
    POST /console/customers/{pseudonym}/minor   flag: processing stops at once, the erasure
                                                of issue 9 follows; the outcome page says
                                                what was deleted and what the law keeps

The customer look-up links the form (privacy officer and support). The POST is CSRF-checked;
a missing or unknown reason is the form again with the reason at its field (422), and
nothing changed.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import select

from privaat.domain.errors import AccessDenied
from privaat.domain.principal import StaffMember
from privaat.i18n import N_
from privaat.services.errors import SubjectNotFound
from privaat.services.minors import MinorReason
from privaat.store.tables import subjects
from privaat.store.unit_of_work import UnitOfWork
from privaat.web.console.access import ConsoleRoute, CurrentStaff, authorise
from privaat.web.console.routes import _form, _page
from privaat.web.deps import ContextDep, UowDep
from privaat.web.pages.csrf import CheckedForm
from privaat.web.pages.forms import Form
from privaat.web.pages.page_errors import status_page

__all__ = ["MINOR_REASONS", "router"]

router = APIRouter(
    prefix="/console",
    route_class=ConsoleRoute,
    include_in_schema=False,
    dependencies=[Depends(authorise)],  # the role table, for every route below
)

# the kinds of signal, in the order the form offers them; never the signal's content
MINOR_REASONS: dict[MinorReason, str] = {
    MinorReason.TOLD_BY_PERSON: N_("The customer said they are under 16"),
    MinorReason.TOLD_BY_PARENT: N_("A parent or guardian told us"),
    MinorReason.SEEN_IN_CONTACT: N_("It is clear from a conversation or message"),
    MinorReason.BIRTH_DATE: N_("A date of birth given to us shows under 16"),
}
_LABELS = {"reason": N_("How did you find out?")}


def _subject_of(uow: UnitOfWork, pseudonym: str) -> int | None:
    # the pseudonym is the account's public handle in the console (no e-mail in a URL)
    if len(pseudonym) > 32:
        return None
    with uow.reading() as connection:
        row = connection.execute(
            select(subjects.c.id).where(subjects.c.pseudonym == pseudonym)
        ).first()
    return None if row is None else int(row.id)


def _minor_page(
    request: Request, staff: StaffMember, pseudonym: str, form: Form, *, status: int = 200
) -> Response:
    response = _page(
        request,
        "console/minor_flag.html.j2",
        staff,
        form=form,
        pseudonym=pseudonym,
        reasons=[(reason.value, form.say(words)) for reason, words in MINOR_REASONS.items()],
        outcome=None,
    )
    response.status_code = status
    return response


def _not_found(request: Request) -> Response:
    page = status_page(request, 404)
    assert page is not None  # noqa: S101  (the site has a 404 page)
    return page


@router.get("/customers/{pseudonym}/minor")
def minor_form(request: Request, pseudonym: str, uow: UowDep, staff: CurrentStaff) -> Response:
    """The under-16 flag's form: why staff know, from a fixed list; no ID document."""
    if _subject_of(uow, pseudonym) is None:
        return _not_found(request)
    return _minor_page(request, staff, pseudonym, _form(request, "console-minor", _LABELS))


@router.post("/customers/{pseudonym}/minor")
def flag_minor(
    request: Request,
    pseudonym: str,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    fields: CheckedForm,
) -> Response:
    """Flag the account as someone under 16: processing stops, the data is erased (L47)."""
    subject_id = _subject_of(uow, pseudonym)
    if subject_id is None:
        return _not_found(request)
    form = _form(request, "console-minor", _LABELS, {"reason": fields.get("reason", "")})
    try:
        reason = MinorReason(fields.get("reason", ""))
    except ValueError:
        form.refuse("reason", N_("Choose how you found out."))
        return _minor_page(request, staff, pseudonym, form, status=422)
    try:
        outcome = ctx.minors.flag(uow, staff, subject_id, reason=reason)
    except SubjectNotFound:
        return _not_found(request)
    except AccessDenied:
        # the guard refuses the minor-protection activity (a closed account): say so, at the form
        form.refuse("reason", N_("The privacy policy does not allow flagging this account now."))
        return _minor_page(request, staff, pseudonym, form, status=403)
    report = outcome.erasure
    return _page(
        request,
        "console/minor_flag.html.j2",
        staff,
        form=form,
        pseudonym=pseudonym,
        reasons=[],
        outcome={
            "waits": outcome.waits is not None,
            "deleted": 0 if report is None else sum(t.before - t.after for t in report.tables),
            "kept": [] if report is None else [(t.table, t.after, t.kept_for) for t in report.kept],
        },
    )
