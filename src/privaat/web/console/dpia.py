"""The console's DPIA register (issue 15 item 9; GDPR art. 35, 36; LEGAL L75, L89).

    GET  /console/dpia                  every activity the screening flags: the AP criteria it
                                        meets, its latest version, the state (none / decided /
                                        review due, in words)
    GET  /console/dpia/{activity_id}    every version, newest first; for the privacy officer a
                                        form that starts from the latest version
    POST /console/dpia/{activity_id}    record the next version (the privacy officer only)

The form is the assessment in the same YAML as ``privaat dpia record`` reads, prefilled with
the latest version (or a skeleton), so the console and the shell have one format, one parser
and one set of refusals; the page beside it lists the scale, the rights and the decisions.
The form carries the version it started from: a version recorded meanwhile is a conflict
(409), nothing written. A refused assessment is the page again (422) with the field and the
reason, the typed text kept. An activity that is not flagged is not found (404).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import yaml
from fastapi import APIRouter, Depends, Request, Response

from privaat.domain.dpia import (
    DECISION_WORDS,
    LEVEL_WORDS,
    RIGHT_WORDS,
    Decision,
    Level,
    ReviewState,
    Right,
)
from privaat.domain.principal import StaffMember, StaffRole
from privaat.i18n import N_, translations
from privaat.policy.wording import dpia_criterion_words
from privaat.services.dpia import AssessmentVersion, DpiaActivityUnknown, DpiaHistory
from privaat.services.errors import Conflict, InvalidField, NotPermitted
from privaat.web.console.access import ROLE_NAMES, ConsoleRoute, CurrentStaff, authorise
from privaat.web.console.routes import _page
from privaat.web.deps import ContextDep, UowDep
from privaat.web.pages.csrf import CheckedForm
from privaat.web.pages.layout import notice, page_language, redirect
from privaat.web.pages.page_errors import status_page

__all__ = ["STATE_WORDS", "router"]

router = APIRouter(
    prefix="/console",
    route_class=ConsoleRoute,
    include_in_schema=False,
    dependencies=[Depends(authorise)],  # the role table, for every route below
)

STATE_WORDS = {
    ReviewState.NONE: N_("no assessment recorded"),
    ReviewState.DECIDED: N_("decided"),
    ReviewState.REVIEW_DUE: N_("review due"),
}
_NOTICES = {"recorded": N_("The new version is recorded; the earlier versions stay as they were.")}
_NOT_YAML = N_("This text is not valid YAML (line %(line)s): check the indentation and colons.")
_NOT_FIELDS = N_("Write the fields of one assessment: activity, necessity, risks, measures, …")
_OTHER_ACTIVITY = N_("The assessment names another activity than this page's.")


def _not_found(request: Request) -> Response:
    page = status_page(request, 404)
    assert page is not None  # noqa: S101  (the site has a 404 page)
    return page


def _version_view(request: Request, version: AssessmentVersion) -> dict[str, Any]:
    _ = translations(page_language(request)).gettext
    a = version.assessment
    return {
        "number": version.version,
        "decision": _(DECISION_WORDS[a.decision]),
        "decision_value": a.decision.value,
        "residual": _(LEVEL_WORDS[a.residual]),
        "residual_value": a.residual.value,
        "consult": a.consultation_required,
        "decided_on": a.decided_on.isoformat(),
        "next_review": a.next_review.isoformat(),
        "decided_by": _(ROLE_NAMES[version.decided_by_role]),
        "recorded_by": version.recorded_by,
        "recorded_at": version.recorded_at.strftime("%Y-%m-%d %H:%M"),
        "necessity": a.necessity,
        "risks": [
            {
                "id": r.id,
                "description": r.description,
                "likelihood": _(LEVEL_WORDS[r.likelihood]),
                "severity": _(LEVEL_WORDS[r.severity]),
                "inherent": _(LEVEL_WORDS[r.inherent]),
                "residual_likelihood": _(LEVEL_WORDS[r.residual_likelihood]),
                "residual_severity": _(LEVEL_WORDS[r.residual_severity]),
                "residual": _(LEVEL_WORDS[r.residual]),
                "rights": [_(RIGHT_WORDS[right]) for right in r.rights],
            }
            for r in a.risks
        ],
        "measures": [{"description": m.description, "reduces": m.reduces} for m in a.measures],
    }


@router.get("/dpia")
def dpia_page(request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff) -> Response:
    """Every flagged activity with the state of its assessment; review due in words."""
    lang = page_language(request)
    _ = translations(lang).gettext
    rows = [
        {
            "id": status.activity.id,
            "name": ctx.policy.activity(status.activity.id).name.in_language(lang),
            "criteria": [dpia_criterion_words(c, lang) for c in status.activity.criteria],
            "reference": status.activity.reference,
            "state": status.state.value,
            "state_words": _(STATE_WORDS[status.state]),
            "latest": _version_view(request, status.latest) if status.latest else None,
        }
        for status in ctx.dpia.overview(uow)
    ]
    return _page(
        request,
        "console/dpia.html.j2",
        staff,
        rows=rows,
        due=sum(1 for row in rows if row["state"] == ReviewState.REVIEW_DUE.value),
        missing=sum(1 for row in rows if row["state"] == ReviewState.NONE.value),
    )


def _skeleton(activity_id: str, ctx: ContextDep) -> str:
    """The form's start when no version exists: valid YAML the officer fills in."""
    today = ctx.dpia.today()
    return yaml.safe_dump(
        {
            "activity": activity_id,
            "necessity": "",
            "risks": [
                {
                    "id": "r1",
                    "description": "",
                    "likelihood": Level.MEDIUM.value,
                    "severity": Level.MEDIUM.value,
                    "rights": [Right.PRIVATE_LIFE.value],
                    "residual": {"likelihood": Level.LOW.value, "severity": Level.MEDIUM.value},
                }
            ],
            "measures": [{"description": "", "reduces": ["r1"]}],
            "decision": Decision.PROCEED_WITH_MEASURES.value,
            "decided_on": today.isoformat(),
            "next_review": (today + timedelta(days=365)).isoformat(),
        },
        allow_unicode=True,
        sort_keys=False,
        width=100,
    )


def _draft(history: DpiaHistory, ctx: ContextDep) -> str:
    latest = history.latest
    if latest is None:
        return _skeleton(history.activity.id, ctx)
    return yaml.safe_dump(
        latest.assessment.as_document(), allow_unicode=True, sort_keys=False, width=100
    )


def _activity_page(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: StaffMember,
    activity_id: str,
    *,
    error: dict[str, str] | None = None,
    typed: str | None = None,
    code: int = 200,
) -> Response:
    lang = page_language(request)
    _ = translations(lang).gettext
    try:
        history = ctx.dpia.history(uow, activity_id)
    except DpiaActivityUnknown:
        return _not_found(request)
    activity = ctx.policy.activity(activity_id)
    response = _page(
        request,
        "console/dpia_activity.html.j2",
        staff,
        activity_id=activity_id,
        name=activity.name.in_language(lang),
        criteria=[dpia_criterion_words(c, lang) for c in history.activity.criteria],
        reference=history.activity.reference,
        outcome=activity.dpia.outcome.in_language(lang) if activity.dpia.outcome else None,
        state=history.state.value,
        state_words=_(STATE_WORDS[history.state]),
        versions=[_version_view(request, v) for v in history.versions],
        latest=history.latest.version if history.latest else 0,
        can_record=staff.role is StaffRole.PRIVACY_OFFICER,
        draft=typed if typed is not None else _draft(history, ctx),
        error=error,
        levels=[_(LEVEL_WORDS[level]) + f" ({level.value})" for level in Level],
        rights=[(right.value, _(RIGHT_WORDS[right])) for right in Right],
        decisions=[(d.value, _(DECISION_WORDS[d])) for d in Decision],
        notice=notice(request, _NOTICES),
    )
    response.status_code = code
    return response


@router.get("/dpia/{activity_id}")
def activity_page(
    request: Request, activity_id: str, ctx: ContextDep, uow: UowDep, staff: CurrentStaff
) -> Response:
    """Every version of the activity's assessment, and the form for the next one."""
    return _activity_page(request, ctx, uow, staff, activity_id)


@router.post("/dpia/{activity_id}")
def record(
    request: Request,
    activity_id: str,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    fields: CheckedForm,
) -> Response:
    """Record the form's assessment as the activity's next version."""
    _ = translations(page_language(request)).gettext
    if activity_id not in {a.id for a in ctx.dpia.screened()}:
        return _not_found(request)
    text = fields.get("document", "")
    based_on = fields.get("based_on", "")

    def refused(field: str, message: str, code: int = 422) -> Response:
        error = {"field": field, "message": message}
        return _activity_page(
            request, ctx, uow, staff, activity_id, error=error, typed=text, code=code
        )

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as problem:
        mark = getattr(problem, "problem_mark", None)
        line = mark.line + 1 if mark is not None else "?"
        return refused("document", _(_NOT_YAML) % {"line": line})
    if not isinstance(data, dict):
        return refused("document", _(_NOT_FIELDS))
    data.setdefault("activity", activity_id)
    if data["activity"] != activity_id:
        return refused("activity", _(_OTHER_ACTIVITY))
    try:
        ctx.dpia.record(uow, staff, data, based_on=int(based_on) if based_on.isdigit() else None)
    except InvalidField as problem:
        return refused(problem.field, _(problem.message))
    except (Conflict, NotPermitted) as problem:
        return refused("", _(str(problem)), 409)
    return redirect(f"/console/dpia/{activity_id}?notice=recorded")
