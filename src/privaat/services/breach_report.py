"""The prefilled notification of a breach to the supervisory authority (GDPR art. 33(3)).

    (a) the nature of the breach, the categories and approximate numbers of people and records
    (b) the name and contact details of the DPO or another contact point
    (c) the likely consequences
    (d) the measures taken or proposed, including those to mitigate its effects

with the times (discovery, deadline, report) and every later addition (art. 33(4)), as a
JSON document and as plain text in the officer's language, for staff to copy into the AP's
form; Reg. 611/2013 art. 2(3) adds the day the full details are due for a public ECS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from privaat.domain.breaches import ECS_DETAILS, ECS_HOURS, Nature, UpdateKind
from privaat.i18n import N_, translations
from privaat.policy.schema import Policy

if TYPE_CHECKING:
    from privaat.services.breaches import BreachView

__all__ = ["NATURE_WORDS", "Art33Report", "art33_report"]

NATURE_WORDS: Mapping[Nature, str] = MappingProxyType(
    {
        Nature.CONFIDENTIALITY: N_("confidentiality: seen or taken by someone not entitled"),
        Nature.INTEGRITY: N_("integrity: changed without authority"),
        Nature.AVAILABILITY: N_("availability: lost, destroyed or out of reach"),
    }
)


@dataclass(frozen=True, slots=True)
class Art33Report:
    """The prefilled notification to the supervisory authority (art. 33(3)), as JSON or text."""

    document: Mapping[str, Any]
    text: str


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def art33_report(view: BreachView, policy: Policy, language: str) -> Art33Report:
    """The art. 33(3)(a)-(d) fields of ``view`` as a JSON document and as plain text."""
    _ = translations(language).gettext
    summary = view.summary
    dpo = policy.data_protection_officer
    contact = (
        {"name": dpo.name, "email": dpo.email}
        if dpo is not None and dpo.appointed
        else {
            "name": policy.privacy_contact.name.in_language(language),
            "email": policy.privacy_contact.email,
        }
    )
    categories = [
        policy.category(c).name.in_language(language) if _has(policy, c) else c
        for c in view.data_categories
    ]
    document: dict[str, Any] = {
        "controller": policy.controller.name,
        "authority": policy.supervisory_authority.name,
        "breach": summary.reference,
        "discovered_at": _when(summary.discovered_at),
        "occurred_from": _when(view.occurred_from),
        "occurred_until": _when(view.occurred_until),
        "deadline": _when(summary.clock.due),
        "deadline_hours": summary.report_hours,
        # art. 33(3)(a)
        "a_nature": {
            "nature": summary.nature.value,
            "description": view.description,
            "data_categories": categories,
            "subject_categories": list(view.subject_categories),
            "approximate_people": summary.people,
            "approximate_records": summary.records,
            "counts": "estimated" if summary.estimated else "counted from the data",
        },
        "b_contact": contact,  # art. 33(3)(b)
        "c_consequences": view.consequences,  # art. 33(3)(c)
        "d_measures": view.measures,  # art. 33(3)(d)
        "updates": [  # art. 33(4): the information in phases, each timestamped
            {"at": u.at.isoformat(), "kind": u.kind.value, "text": u.text}
            for u in view.updates
            if u.kind is not UpdateKind.NOTIFIED
        ],
        "people_notified": summary.notified,
        "reported_at": _when(view.reported_at),
        "authority_reference": view.authority_reference,
    }
    if summary.report_hours == ECS_HOURS and view.reported_at is not None:
        # Reg. 611/2013 art. 2(3): the full information within three days of the first
        document["full_details_due"] = (view.reported_at + ECS_DETAILS).isoformat()
    unknown = _("unknown")
    lines = [
        _("Notification of a personal data breach to {authority}").format(
            authority=policy.supervisory_authority.name
        ),
        _("Controller: {name}").format(name=policy.controller.name),
        _(
            "Breach: {reference}, discovered {at} (UTC); to be reported within {hours} hours, by "
            "{due}"
        ).format(
            reference=summary.reference,
            at=summary.discovered_at.strftime("%Y-%m-%d %H:%M"),
            hours=summary.report_hours,
            due=summary.clock.due.strftime("%Y-%m-%d %H:%M"),
        ),
        "",
        _("(a) Nature of the breach: {nature}").format(nature=_(NATURE_WORDS[summary.nature])),
        view.description,
        _("Categories of personal data: {categories}").format(
            categories=", ".join(categories) or unknown
        ),
        _("Categories of people: {kinds}").format(
            kinds=", ".join(view.subject_categories) or unknown
        ),
        _("Approximate number of people: {people}; of records: {records} ({how})").format(
            people=unknown if summary.people is None else summary.people,
            records=unknown if summary.records is None else summary.records,
            how=_("estimated") if summary.estimated else _("counted from the data"),
        ),
        "",
        _("(b) Contact point: {name}, {email}").format(**contact),
        "",
        _("(c) Likely consequences:"),
        view.consequences,
        "",
        _("(d) Measures taken or proposed:"),
        view.measures,
    ]
    phased = [u for u in view.updates if u.kind is UpdateKind.ADDITION]
    if phased:
        lines += ["", _("Further information (art. 33(4)):")]
        lines += [f"- {u.at.strftime('%Y-%m-%d %H:%M')} UTC: {u.text}" for u in phased]
    return Art33Report(document, "\n".join(lines) + "\n")


def _has(policy: Policy, category: str) -> bool:
    return any(c.id == category for c in policy.data_categories)
