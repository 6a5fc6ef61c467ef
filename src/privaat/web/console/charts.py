"""Console pages: consent rates and withdrawals as charts (issue 10 item 8).

``GET /console/consents?weeks=12&until=2026-W48``: the range is checked in the domain
(``WeekRange.choose``); a range the page cannot show gets the page again with its form and
the reason (422), never a 500. The figures are the service's (``services.consent_stats``),
read in aggregate under ``consent_records`` and recorded in the audit trail.
"""

from __future__ import annotations

from fractions import Fraction

from babel.numbers import format_percent
from fastapi import APIRouter, Depends, Request, Response

from privaat.domain.consent_weeks import DEFAULT_WEEKS, MAX_WEEKS, RangeInvalid, WeekRange
from privaat.i18n import N_, translations
from privaat.services.consent_stats import ConsentReport
from privaat.services.errors import NotPermitted
from privaat.web.console.access import ConsoleRoute, CurrentStaff, authorise
from privaat.web.console.consent_charts import ChartText, rate_chart, withdrawal_chart
from privaat.web.console.routes import _page
from privaat.web.deps import ContextDep, UowDep
from privaat.web.pages.layout import page_language
from privaat.web.pages.page_errors import error_page

__all__ = ["METHOD_NAMES", "router"]

router = APIRouter(
    prefix="/console",
    route_class=ConsoleRoute,
    include_in_schema=False,
    dependencies=[Depends(authorise)],  # the role table, for every route below
)

METHOD_NAMES = {
    "sign_up": N_("sign-up form"),
    "privacy_centre": N_("privacy centre"),
    "cookie_banner": N_("cookie banner"),
    "email_link": N_("e-mail link"),
    "support": N_("customer support"),
    "support_access_page": N_("support access page"),
    "api": N_("API"),
}
_RANGE_ERRORS = {
    "weeks": N_("Choose a whole number of weeks from 1 to %(max)s."),
    "until": N_("Choose a week that has begun, written as 2026-W48."),
}


@router.get("/consents")
def consents(request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff) -> Response:
    """Consent rate per activity per week and withdrawals by method, as charts and tables."""
    weeks_field = request.query_params.get("weeks")
    until_field = request.query_params.get("until")
    lang = page_language(request)
    try:
        weeks = WeekRange.choose(weeks=weeks_field, until=until_field, now=ctx.clock.now())
    except RangeInvalid as refused:
        response = _page(
            request,
            "console/consents.html.j2",
            staff,
            report=None,
            chosen={"weeks": weeks_field or "", "until": until_field or ""},
            error_field=refused.field,
            error=_RANGE_ERRORS[refused.field],
            max_weeks=MAX_WEEKS,
        )
        response.status_code = 422
        return response
    stats = ctx.consent_stats
    try:
        report = stats.weekly(uow, staff, weeks)
    except NotPermitted:  # a role the table lets in but the service does not (never today)
        return error_page(request, 403, N_("Not allowed"), N_("You may not do this."))
    return _page(
        request,
        "console/consents.html.j2",
        staff,
        report=report,
        chosen={"weeks": str(weeks.count), "until": str(weeks.last)},
        error_field=None,
        error=None,
        max_weeks=MAX_WEEKS,
        **_charts(ctx, report, lang),
    )


def _charts(ctx: ContextDep, report: ConsentReport, lang: str) -> dict[str, object]:
    gettext = translations(lang).gettext
    names = {a.id: a.name.in_language(lang) for a in ctx.policy.activities}
    methods = {method: gettext(label) for method, label in METHOD_NAMES.items()}

    def percent(share: Fraction) -> str:
        return str(format_percent(float(share), "#,##0.#%", locale=lang))

    first, last = str(report.weeks.first), str(report.weeks.last)
    rates = ChartText(
        ident="consent-rate-chart",
        title=gettext("Consent rate per activity per week"),
        desc=gettext(
            "Line chart of the consent rate of %(count)s activities in each week from "
            "%(first)s to %(last)s. The table below the chart gives every figure."
        )
        % {"count": len(report.activities), "first": first, "last": last},
        names=names,
        percent=percent,
    )
    withdrawn = ChartText(
        ident="withdrawal-chart",
        title=gettext("Withdrawals per week by method"),
        desc=gettext(
            "Stacked bar chart of the withdrawals of all activities in each week from "
            "%(first)s to %(last)s, split by the way they were made. The table below the "
            "chart gives every figure."
        )
        % {"first": first, "last": last},
        names=methods,
        percent=percent,
    )
    return {
        "rate_svg": rate_chart(report.activities, rates),
        "withdrawal_svg": withdrawal_chart(report.withdrawals, report.methods, withdrawn),
        "activity_names": names,
        "method_names": methods,
        "percent": percent,
        "default_weeks": DEFAULT_WEEKS,
    }
