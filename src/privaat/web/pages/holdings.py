"""Everything held about a person, grouped by the processing activity it serves (GDPR art. 15(1)
(a), (c), (d)): the data registry says which activity each value is for, the policy says why,
on what ground and for how long.

    Profile, LoginView ─▶ one HeldItem per column ─▶ registry: the column's activity
    policy_document(policy, lang) ─▶ that activity's section of /privacy: its description,
        purposes, legal basis (and legitimate interest) and retention, in the same words

Nothing about an activity is written in a template: a provider's own policy gives its own
names and periods, and a column moved to another activity moves on the page too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from babel.dates import format_date, format_datetime
from sqlalchemy import Column

from privaat.domain.activities import ACCOUNT, LOGIN_LOCATION, STAFF_ACCOUNTS
from privaat.i18n import N_, translations
from privaat.policy.schema import Policy
from privaat.render.document import Fact, Section
from privaat.render.language import formatting_locale
from privaat.render.policy_text import policy_document
from privaat.services.accounts import Profile
from privaat.services.contact_fields import MINIMUM_AGE
from privaat.services.login_history import LoginView
from privaat.store.registry import Personal, registry_activities
from privaat.store.tables import accounts, credentials, login_events, metadata
from privaat.web.pages.account_words import ACCOUNT_LABELS, LANGUAGE_NAMES
from privaat.web.pages.per_policy import per_policy

__all__ = ["ActivityHoldings", "HeldItem", "LoginRow", "held_data", "kept_after_closure"]

# the facts of an activity's section of the public policy that a person sees beside the data
_FACTS = (N_("Purposes"), N_("Legal basis"), N_("Our legitimate interest"), N_("Retention"))
# each field of the profile, and the column that holds it (the registry is on the column)
_PROFILE_COLUMNS: Mapping[str, Column[Any]] = {
    "email": accounts.c.email_enc,
    "email_verified": accounts.c.email_verified,
    "name": accounts.c.name_enc,
    "street": accounts.c.street_enc,
    "postal_code": accounts.c.postal_code_enc,
    "city": accounts.c.city_enc,
    "phone": accounts.c.phone_enc,
    "vat_number": accounts.c.vat_number_enc,
    "display_name": accounts.c.display_name_enc,
    "birth_date": accounts.c.birth_date_enc,
    "language": accounts.c.language,
    "status": accounts.c.status,
    "created_at": accounts.c.created_at,
}
_LABELS: Mapping[str, str] = {
    **ACCOUNT_LABELS,
    "email_verified": N_("E-mail address verified"),
    "status": N_("Account status"),
    "created_at": N_("Account created"),
    "password": N_("Password"),
    "age_declared": N_("Declared to be {age} or older"),
}
_STATUS = {"active": N_("active"), "closed": N_("closed")}


@dataclass(frozen=True, slots=True)
class HeldItem:
    """One value held, as the person sees it; ``note`` says why it is not shown, if it is not."""

    field: str
    label: str
    value: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class LoginRow:
    """One log-in (P9): when, from which address, and where that address is."""

    at: str
    at_iso: str
    ip: str
    location: str
    new_device: bool


@dataclass(frozen=True, slots=True)
class ActivityHoldings:
    """An activity of the policy, what it is for and how long it keeps, and what it holds."""

    activity: str
    name: str
    description: str
    facts: tuple[Fact, ...]
    items: tuple[HeldItem, ...] = ()
    logins: tuple[LoginRow, ...] = ()


def held_data(
    policy: Policy, lang: str, profile: Profile, logins: Sequence[LoginView] | None
) -> list[ActivityHoldings]:
    """What is held about the person of ``profile``, one group per activity, in policy order;
    ``logins`` is None when the service does not record log-in locations."""
    say = translations(lang).gettext
    locale = formatting_locale(lang)
    restricted = set(profile.restricted_fields)
    items: dict[str, list[HeldItem]] = {}
    for field, column in _PROFILE_COLUMNS.items():
        value = getattr(profile, field)
        if field in restricted:
            item = HeldItem(field, say(_LABELS[field]), "", say(_RESTRICTED))
        else:
            item = HeldItem(field, say(_LABELS[field]), _shown(field, value, lang))
        items.setdefault(_role(column).activity, []).append(item)
    # held without being shown: the password only as a one-way hash; the age declaration,
    # without which no account is created (P18)
    items.setdefault(_role(credentials.c.password_hash).activity, []).append(
        HeldItem("password", say(_LABELS["password"]), "", say(_HASHED))
    )
    items.setdefault(_role(accounts.c.age_declared_16_plus).activity, []).append(
        HeldItem(
            "age_declared",
            say(_LABELS["age_declared"]).format(age=MINIMUM_AGE),
            say(N_("yes")),
        )
    )
    rows = tuple(_login_row(view, lang, locale) for view in logins or ())
    groups = []
    for section, activity in _sections(policy, lang, _activities(items, logins)):
        groups.append(
            ActivityHoldings(
                activity=activity,
                name=section.heading,
                description=section.paragraphs[0] if section.paragraphs else "",
                facts=_facts(section, lang),
                items=tuple(items.get(activity, ())),
                logins=rows if activity == _role(login_events.c.ip_enc).activity else (),
            )
        )
    return groups


def kept_after_closure(policy: Policy, lang: str, *, logins: bool) -> list[ActivityHoldings]:
    """Every activity the registry keeps data for, with how long (the account's first): what
    a closed account leaves behind, and until when."""
    wanted = set(registry_activities(metadata))
    if not logins:
        wanted.discard(LOGIN_LOCATION)
    # the tables of the engine's own staff hold nothing about a customer
    wanted.discard(STAFF_ACCOUNTS)
    ordered = [ACCOUNT, *(a.id for a in policy.activities if a.id in wanted and a.id != ACCOUNT)]
    return [
        ActivityHoldings(
            activity=activity,
            name=section.heading,
            description="",
            facts=tuple(f for f in _facts(section, lang) if f.label == _label("Retention", lang)),
        )
        for section, activity in _sections(policy, lang, ordered)
    ]


_RESTRICTED = N_("Restricted at your request (GDPR art. 18): not shown or used meanwhile.")
_HASHED = N_("Stored only as a one-way hash: nobody can read it, we cannot either.")


def _role(column: Column[Any]) -> Personal:
    role = column.info.get("personal")
    if not isinstance(role, Personal):
        raise TypeError(f"{column} declares no personal data in the registry")
    return role


def _activities(items: Mapping[str, object], logins: Sequence[LoginView] | None) -> list[str]:
    held = set(items)
    if logins is not None:
        held.add(_role(login_events.c.ip_enc).activity)
    return sorted(held)


def _sections(policy: Policy, lang: str, activities: Iterable[str]) -> list[tuple[Section, str]]:
    by_anchor = _activity_sections(policy, lang)
    wanted = list(activities)
    order = {a.id: i for i, a in enumerate(policy.activities)}
    return [
        (by_anchor[f"activity-{a}"], a)
        for a in sorted(wanted, key=lambda a: order.get(a, len(order)))
        if f"activity-{a}" in by_anchor
    ]


@per_policy
def _activity_sections(policy: Policy, lang: str) -> Mapping[str, Section]:
    """The activity sections of the public policy in ``lang``, by anchor (policy is frozen)."""
    document = policy_document(policy, lang)
    found: dict[str, Section] = {}
    stack = list(document.sections)
    while stack:
        section = stack.pop()
        found[section.anchor] = section
        stack.extend(section.subsections)
    return found


def _label(msgid: str, lang: str) -> str:
    return translations(lang).gettext(msgid)


def _facts(section: Section, lang: str) -> tuple[Fact, ...]:
    wanted = {_label(msgid, lang) for msgid in _FACTS}
    return tuple(fact for fact in section.facts if fact.label in wanted)


def _shown(field: str, value: object, lang: str) -> str:
    say = translations(lang).gettext
    locale = formatting_locale(lang)
    if value is None or value == "":
        return say(N_("(not given)"))
    if field == "language":
        return say(LANGUAGE_NAMES.get(str(value), str(value)))
    if field == "status":
        return say(_STATUS.get(str(value), str(value)))
    if isinstance(value, bool):
        return say(N_("yes")) if value else say(N_("no, open the link we sent you"))
    if isinstance(value, datetime):
        return format_date(value.date(), format="long", locale=locale)
    if isinstance(value, date):
        return format_date(value, format="long", locale=locale)
    return str(value)


def _login_row(view: LoginView, lang: str, locale: Any) -> LoginRow:
    say = translations(lang).gettext
    country = locale.territories.get(view.country, view.country) if view.country else None
    where = ", ".join(str(part) for part in (view.city, country) if part)
    return LoginRow(
        at=format_datetime(view.at, format="medium", tzinfo=view.at.tzinfo, locale=locale) + " UTC",
        at_iso=view.at.isoformat(),
        ip=view.ip,
        location=where or say(N_("unknown location")),
        new_device=view.new_device,
    )
