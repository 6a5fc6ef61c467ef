"""Cross-checks of a whole policy: what no single object of the schema can check alone.

The schema (``privaat.policy.schema``) rejects unknown keys, a missing legal basis, a
legitimate interest without its statement, consent without a consent block and a missing
retention. This module checks what needs the whole file:

- ids are unique (promises, activities, data categories, recipients);
- every term is known: promise ids (the file's own ``promises`` catalogue), DPV purposes,
  ``pd:`` categories and data subjects, fideslang keys (``privaat.policy.vocab``);
- every reference resolves: data categories, recipients, transfers, legal holds and
  minimisations name catalogue entries the activity really uses; ``requires_consent_of``
  names consent-based activities;
- processors name their country, transfer safeguard and art. 28 agreement; nothing goes
  outside the EEA without an art. 45/46 safeguard (LEGAL L37);
- a legal basis comes with what it needs, and nothing it doesn't: objection to legitimate
  interests (art. 21(1)), absolute objection to direct marketing (art. 21(3), L15), no
  consent block on another basis (L11), no contract toward people who hold none (art.
  6(1)(b), L88), an objection that cannot be overridden only where objection is possible;
- every promise of the catalogue is kept somewhere: named by an activity, or ``met_by`` a
  mandatory policy block (the dated policy, the controller block); and with a catalogue,
  every activity names the promises it keeps. A policy without a catalogue names none;
- with situations, every activity names one of them (the statement's sections); a cookie's
  third party is a recipient of its activity; a retention period keeps only the activity's
  own categories (``applies_to``); a joint controller comes with the essence of its
  arrangement (art. 26(2)); a transfer's fallback is another safeguard than its first, and
  the EU-US Data Privacy Framework covers importers in the United States only.

``check_publication`` adds what a policy needs before it is published, which a test's
policy may leave out: the DPO statement (art. 13(1)(b), 37), the art. 13(2)(e) statement
wherever the person provides the data, and the register's columns per activity: its third-
person description, its security measures (art. 32), the LIA behind a legitimate interest,
and its DPIA screening (art. 35). ``privaat policy check`` runs both.

Each problem is a ``Finding`` located by its path in the policy's structure (the same keys
and list positions as the YAML file), so the loader can point at the line.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from privaat.policy.schema import (
    DataSource,
    LegalBasis,
    Policy,
    ProcessingActivity,
    RecipientRole,
    RetentionStart,
    Safeguard,
)
from privaat.policy.vocab import (
    ADEQUACY_COUNTRIES,
    DPV_DATA_SUBJECTS,
    DPV_MARKETING_PURPOSES,
    DPV_NON_CONTRACT_PARTIES,
    DPV_PERSONAL_DATA,
    DPV_PURPOSES,
    EEA_COUNTRIES,
    FIDES_DATA_CATEGORIES,
    FIDES_DATA_USES,
)

__all__ = ["Finding", "Location", "check_policy", "check_publication"]

Location = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem, at a path such as ``("activities", 3, "purposes", 0)``."""

    location: Location
    message: str
    # where the other half of a conflict is, e.g. the first use of a duplicated id
    related: Location | None = None


def check_policy(policy: Policy) -> list[Finding]:
    """Every cross-reference problem in ``policy``; an empty list means it is consistent."""
    return [
        *_duplicate_ids(policy),
        *_catalogue(policy),
        *(
            finding
            for index, activity in enumerate(policy.activities)
            for finding in _activity(policy, index, activity)
        ),
        *_coverage(policy),
        *_processor_services(policy),
    ]


def _duplicate_ids(policy: Policy) -> Iterator[Finding]:
    sections: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("promises", tuple(p.id for p in policy.promises)),
        ("data_categories", tuple(c.id for c in policy.data_categories)),
        ("recipients", tuple(r.id for r in policy.recipients)),
        ("situations", tuple(s.id for s in policy.situations)),
        ("activities", tuple(a.id for a in policy.activities)),
        ("processor_services", tuple(p.id for p in policy.processor_services)),
    )
    for section, ids in sections:
        first: dict[str, int] = {}
        for index, item_id in enumerate(ids):
            if item_id in first:
                yield Finding(
                    (section, index, "id"),
                    f"duplicate id {item_id!r}",
                    related=(section, first[item_id], "id"),
                )
            else:
                first[item_id] = index


def _catalogue(policy: Policy) -> Iterator[Finding]:
    for index, category in enumerate(policy.data_categories):
        where = ("data_categories", index)
        yield from _term(where + ("dpv",), category.dpv, DPV_PERSONAL_DATA, "DPV data category")
        yield from _term(
            where + ("fides",), category.fides, FIDES_DATA_CATEGORIES, "fideslang data category"
        )
    for index, recipient in enumerate(policy.recipients):
        where = ("recipients", index)
        # L37 first: outside the EEA a missing safeguard is a transfer problem, said once
        transfer_problem = _transfer_problem(recipient.country, recipient.safeguard)
        if transfer_problem is not None:
            yield Finding(where + ("safeguard",), transfer_problem)
        joint = recipient.role is RecipientRole.JOINT_CONTROLLER
        if joint and recipient.arrangement is None:
            # art. 26(2): the essence of the arrangement is made available to the person
            yield Finding(
                where + ("arrangement",),
                "a joint controller: give the essence of the arrangement (art. 26(2))",
            )
        elif not joint and recipient.arrangement is not None:
            yield Finding(
                where + ("arrangement",),
                f"an arrangement on a {recipient.role.value}: only joint controllers make one "
                "(art. 26)",
            )
        if recipient.role is not RecipientRole.PROCESSOR:
            if recipient.notify is not None:
                # L11: only a processor acts on our instructions; others are told under art. 19
                yield Finding(
                    where + ("notify",),
                    f"notify on a {recipient.role.value}: only processors are told of consent "
                    "changes (L11)",
                )
            continue
        # art. 28(3) and 44-46 (LEGAL L19): the register must show where and under what
        if recipient.country is None:
            yield Finding(where + ("country",), "a processor must name its country (L19)")
        if recipient.safeguard is None and transfer_problem is None:
            yield Finding(
                where + ("safeguard",), "a processor must name its transfer safeguard (L19)"
            )
        if recipient.agreement is None:
            yield Finding(
                where + ("agreement",),
                "a processor works under an art. 28(3) agreement: name it (L19)",
            )


def _activity(policy: Policy, index: int, activity: ProcessingActivity) -> Iterator[Finding]:
    where: Location = ("activities", index)
    yield from _promises(policy, where, activity)
    for k, purpose in enumerate(activity.purposes):
        yield from _term(where + ("purposes", k), purpose, DPV_PURPOSES, "DPV purpose")
    if activity.fides_data_use is not None:
        yield from _term(
            where + ("fides_data_use",),
            activity.fides_data_use,
            FIDES_DATA_USES,
            "fideslang data use",
        )
    for k, subject in enumerate(activity.data_subjects):
        yield from _term(
            where + ("data_subjects", k), subject, DPV_DATA_SUBJECTS, "DPV data subject"
        )
    yield from _situation(policy, where, activity)
    yield from _references(policy, where, activity)
    yield from _cookies(policy, where, activity)
    yield from _consent_dependencies(policy, where, activity)
    yield from _retention(policy, where, activity)
    yield from _basis(where, activity)


def _promises(policy: Policy, where: Location, activity: ProcessingActivity) -> Iterator[Finding]:
    known = [promise.id for promise in policy.promises]
    if not known:
        for k, promise in enumerate(activity.promises):
            yield Finding(
                where + ("promises", k),
                f"unknown promise {promise!r}: this policy has no promise catalogue "
                "(a top-level 'promises' list)",
            )
        return
    if not activity.promises:
        # traceability: with a catalogue, every activity says which promise it keeps
        yield Finding(
            where + ("promises",), f"name the promises this activity keeps ({_range(known)})"
        )
    for k, promise in enumerate(activity.promises):
        if promise not in known:
            yield Finding(
                where + ("promises", k), f"unknown promise {promise!r} (known: {_range(known)})"
            )


def _consent_dependencies(
    policy: Policy, where: Location, activity: ProcessingActivity
) -> Iterator[Finding]:
    activities = {a.id: a for a in policy.activities}
    for k, other_id in enumerate(activity.requires_consent_of):
        at = where + ("requires_consent_of", k)
        other = activities.get(other_id)
        if other_id == activity.id:
            yield Finding(at, "an activity cannot depend on consent to itself")
        elif other is None:
            yield Finding(at, _unknown("activity", other_id, activities))
        elif not other.requires_consent:
            # the guard looks for a consent record of that activity: there never is one
            yield Finding(
                at,
                f"{other_id!r} is based on {other.legal_basis.value}, not consent: "
                "requires_consent_of names consent-based activities only",
            )


def _references(policy: Policy, where: Location, activity: ProcessingActivity) -> Iterator[Finding]:
    categories = {c.id for c in policy.data_categories}
    recipients = {r.id: r for r in policy.recipients}
    for k, category in enumerate(activity.data_categories):
        if category not in categories:
            yield Finding(
                where + ("data_categories", k), _unknown("data category", category, categories)
            )
    for k, recipient_id in enumerate(activity.recipients):
        recipient = recipients.get(recipient_id)
        if recipient is None:
            yield Finding(
                where + ("recipients", k), _unknown("recipient", recipient_id, recipients)
            )
        elif (
            recipient.country is not None
            and recipient.country not in EEA_COUNTRIES
            and not any(t.recipient == recipient_id for t in activity.transfers)
        ):
            # art. 13(1)(f): the person is told about a transfer outside the EEA
            yield Finding(
                where + ("transfers",),
                f"recipient {recipient_id!r} is in {recipient.country}, outside the EEA: "
                "list the transfer and its safeguard (art. 13(1)(f), L37)",
            )
    for k, transfer in enumerate(activity.transfers):
        at = where + ("transfers", k)
        if transfer.recipient not in recipients:
            yield Finding(
                at + ("recipient",), _unknown("recipient", transfer.recipient, recipients)
            )
        elif transfer.recipient not in activity.recipients:
            yield Finding(
                at + ("recipient",),
                f"transfer to {transfer.recipient!r}, not one of this activity's recipients",
            )
        message = _transfer_problem(transfer.country, transfer.safeguard)
        if message is not None:
            yield Finding(at + ("safeguard",), message)
        if transfer.fallback is None:
            continue
        if transfer.fallback is transfer.safeguard:
            yield Finding(
                at + ("fallback",),
                f"the fallback is the first safeguard again ({transfer.safeguard.value}): "
                "name another one, or none",
            )
        elif (fallback := _transfer_problem(transfer.country, transfer.fallback)) is not None:
            yield Finding(at + ("fallback",), fallback)


def _situation(policy: Policy, where: Location, activity: ProcessingActivity) -> Iterator[Finding]:
    # the statement is ordered by the reader's situations: an activity without one, or with
    # an unknown one, would be left out of it
    known = [situation.id for situation in policy.situations]
    if activity.situation is None:
        if known:
            yield Finding(
                where + ("situation",),
                f"name the situation the statement describes this activity under "
                f"({', '.join(known)})",
            )
    elif activity.situation not in known:
        if known:
            message = _unknown("situation", activity.situation, known)
        else:
            message = (
                f"unknown situation {activity.situation!r}: this policy has no situations "
                "(a top-level 'situations' list)"
            )
        yield Finding(where + ("situation",), message)


def _cookies(policy: Policy, where: Location, activity: ProcessingActivity) -> Iterator[Finding]:
    recipients = {r.id for r in policy.recipients}
    seen: set[str] = set()
    for k, cookie in enumerate(activity.cookies):
        at = where + ("cookies", k)
        if cookie.name in seen:
            yield Finding(at + ("name",), f"cookie {cookie.name!r} is listed twice")
        seen.add(cookie.name)
        if cookie.recipient is None:
            continue
        if cookie.recipient not in recipients:
            yield Finding(at + ("recipient",), _unknown("recipient", cookie.recipient, recipients))
        elif cookie.recipient not in activity.recipients:
            # art. 13(1)(e): a third party that reads a cookie receives the data it carries
            yield Finding(
                at + ("recipient",),
                f"cookie of {cookie.recipient!r}, not one of this activity's recipients "
                "(art. 13(1)(e))",
            )


def _retention(policy: Policy, where: Location, activity: ProcessingActivity) -> Iterator[Finding]:
    catalogue = {c.id for c in policy.data_categories}
    retention = activity.retention
    at = where + ("retention",)
    holds = [hold.categories for hold in retention.legal_holds]
    steps = [step.categories for step in retention.minimise]
    for section, groups in (("legal_holds", holds), ("minimise", steps)):
        for n, categories in enumerate(groups):
            for k, category in enumerate(categories):
                loc = at + (section, n, "categories", k)
                if category not in catalogue:
                    yield Finding(loc, _unknown("data category", category, catalogue))
                elif category not in activity.data_categories:
                    yield Finding(
                        loc, f"{category!r} is not one of this activity's data categories"
                    )
    for k, category in enumerate(retention.applies_to):
        # a disclosure log keeps who asked for what, not the data it names (issue 9)
        loc = at + ("applies_to", k)
        if category not in catalogue:
            yield Finding(loc, _unknown("data category", category, catalogue))
        elif category not in activity.data_categories:
            yield Finding(loc, f"{category!r} is not one of this activity's data categories")
    if retention.starts is RetentionStart.COLLECTION:
        for n, step in enumerate(retention.minimise):
            if step.after.approx_days() >= retention.period.approx_days():
                yield Finding(
                    at + ("minimise", n, "after"),
                    f"minimising after {step.after} never happens: "
                    f"the records are deleted after {retention.period}",
                )


def _basis(where: Location, activity: ProcessingActivity) -> Iterator[Finding]:
    basis = activity.legal_basis
    objection = activity.objection
    if activity.consent is not None and basis is not LegalBasis.CONSENT:
        # L11: processing must never slide from consent to another ground unnoticed
        yield Finding(
            where + ("consent",),
            f"a consent block on an activity based on {basis.value}: "
            "ask consent only where consent is the legal basis (L11)",
        )
    if activity.legitimate_interest is not None and basis is not LegalBasis.LEGITIMATE_INTEREST:
        yield Finding(
            where + ("legitimate_interest",),
            f"a legitimate-interest statement on an activity based on {basis.value} "
            "(art. 13(1)(c): one ground per purpose)",
        )
    if activity.lia is not None and basis is not LegalBasis.LEGITIMATE_INTEREST:
        # L75: an LIA weighs an art. 6(1)(f) interest; on another basis it misleads the register
        yield Finding(
            where + ("lia",),
            f"a legitimate interests assessment on an activity based on {basis.value}",
        )
    if basis is LegalBasis.LEGITIMATE_INTEREST and not objection.possible:
        yield Finding(
            where + ("objection", "possible"),
            "art. 21(1): processing on a legitimate interest must allow objection (L67)",
        )
    if objection.absolute and not objection.possible:
        yield Finding(
            where + ("objection", "absolute"), "an absolute objection that is not possible"
        )
    if not objection.overridable and not objection.possible:
        yield Finding(
            where + ("objection", "overridable"),
            "an objection that cannot be overridden, on an activity that allows no objection",
        )
    if basis is LegalBasis.CONTRACT and set(activity.data_subjects) <= DPV_NON_CONTRACT_PARTIES:
        subjects = ", ".join(activity.data_subjects)
        yield Finding(
            where + ("legal_basis",),
            "art. 6(1)(b): contract is a basis only toward a party to the contract, and the "
            f"data subjects ({subjects}) hold no contract with the controller: use another "
            "basis (EDPB 2/2019; L88)",
        )
    if objection.possible and not objection.channels:
        yield Finding(
            where + ("objection", "channels"),
            "say where to object: art. 21(4) requires the right to be presented clearly",
        )
    marketing = any(purpose in DPV_MARKETING_PURPOSES for purpose in activity.purposes)
    if marketing and basis is not LegalBasis.CONSENT and not objection.absolute:
        yield Finding(
            where + ("objection", "absolute"),
            "art. 21(2)-(3): an objection to direct marketing is absolute (L15)",
        )


def _coverage(policy: Policy) -> Iterator[Finding]:
    named = {promise for activity in policy.activities for promise in activity.promises}
    for index, promise in enumerate(policy.promises):
        if promise.id not in named and promise.met_by is None:
            yield Finding(
                ("promises", index),
                f"promise {promise.id} ({promise.summary}) is kept by no activity: name it in "
                "the activities that keep it, or say which policy block does (met_by)",
            )


def check_publication(policy: Policy) -> list[Finding]:
    """What the statement and the register still lack; empty: fit to publish.

    Kept apart from ``check_policy`` so that a test may build a small consistent policy
    without a DPO statement or register columns; ``privaat policy check`` runs both.
    """
    findings: list[Finding] = []
    if policy.data_protection_officer is None:
        findings.append(
            Finding(
                ("data_protection_officer",),
                "say who the data protection officer is, or that none is appointed and why "
                "(art. 13(1)(b), 37)",
            )
        )
    for index, activity in enumerate(policy.activities):
        findings += _publication(("activities", index), activity)
    return findings


def _publication(where: Location, activity: ProcessingActivity) -> Iterator[Finding]:
    if activity.register_description is None:
        yield Finding(
            where + ("register_description",),
            "the register describes each activity in the third person: add "
            "register_description (art. 30(1))",
        )
    if activity.security is None:
        yield Finding(
            where + ("security",),
            "name the security measures of this activity (art. 30(1)(g), 32)",
        )
    if activity.legal_basis is LegalBasis.LEGITIMATE_INTEREST and activity.lia is None:
        yield Finding(
            where + ("lia",),
            "name the legitimate interests assessment behind art. 6(1)(f) (art. 5(2); L32)",
        )
    if DataSource.DATA_SUBJECT in activity.sources and activity.requirement is None:
        yield Finding(
            where + ("requirement",),
            "the person provides this data: say which of it is required and what happens "
            "without it (art. 13(2)(e))",
        )
    if activity.dpia.reference is None and activity.dpia.outcome is None:
        yield Finding(
            where + ("dpia",),
            "screen the activity against the AP's DPIA list: the criteria met and the DPIA, "
            "or the outcome (art. 35(4))",
        )


def _transfer_problem(country: str | None, safeguard: Safeguard | None) -> str | None:
    """Why sending data to ``country`` under ``safeguard`` breaks art. 44-46, or None (L37)."""
    if country is None or country in EEA_COUNTRIES:
        return None
    if safeguard is None:
        return f"{country} is outside the EEA: name an art. 45/46 safeguard (L37)"
    if safeguard is Safeguard.EEA:
        return f"{country} is outside the EEA: safeguard 'eea' does not apply (L37)"
    if safeguard is Safeguard.DATA_PRIVACY_FRAMEWORK and country != "US":
        # decision (EU) 2023/1795 covers certified organisations in the United States only
        return (
            f"the EU-US Data Privacy Framework covers importers in the US only, not {country}: "
            "use 'adequacy', 'scc' or 'bcr' (art. 45-46, L37)"
        )
    if safeguard is Safeguard.ADEQUACY and country not in ADEQUACY_COUNTRIES:
        return (
            f"{country} has no general art. 45 adequacy decision: use 'scc' or 'bcr' (art. 46, L37)"
        )
    if safeguard is Safeguard.EXPLICIT_CONSENT:
        # EDPB guidelines 2/2018: art. 49 derogations are for occasional transfers only
        return (
            "explicit consent (art. 49(1)(a)) is a derogation, not a standing safeguard: "
            "use 'adequacy', 'scc' or 'bcr' (L37)"
        )
    return None


def _term(
    location: Location, term: str, vocabulary: Collection[str], kind: str
) -> Iterator[Finding]:
    if term not in vocabulary:
        yield Finding(location, _unknown(kind, term, vocabulary))


def _unknown(kind: str, term: str, known: Collection[str]) -> str:
    candidates = sorted(known)
    close = (
        difflib.get_close_matches(term, candidates, n=1)
        or [candidate for candidate in candidates if term.lower() in candidate.lower()][:1]
    )
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown {kind} {term!r}{hint}"


def _range(ids: list[str]) -> str:
    consecutive = ids == [f"P{n}" for n in range(1, len(ids) + 1)]
    return f"{ids[0]}–{ids[-1]}" if consecutive and len(ids) > 2 else ", ".join(ids)


def _processor_services(policy: Policy) -> Iterator[Finding]:
    """The art. 30(2) record's services (L74): sub-processors are processors under an
    agreement (art. 28(2), (4)); transfers go to one of them, with a lawful safeguard."""
    roles = {r.id: r.role for r in policy.recipients}
    for index, service in enumerate(policy.processor_services):
        where: Location = ("processor_services", index)
        for k, sub in enumerate(service.sub_processors):
            if sub not in roles:
                yield Finding(where + ("sub_processors", k), _unknown("recipient", sub, roles))
            elif roles[sub] is not RecipientRole.PROCESSOR:
                yield Finding(
                    where + ("sub_processors", k),
                    f"{sub!r} is a {roles[sub].value}, not a processor: a sub-processor works "
                    "under an art. 28(4) agreement (L74)",
                )
        for k, transfer in enumerate(service.transfers):
            at = where + ("transfers", k)
            if transfer.recipient not in service.sub_processors:
                yield Finding(
                    at + ("recipient",),
                    f"transfer to {transfer.recipient!r}, not one of this service's "
                    "sub_processors (art. 30(2)(c))",
                )
            message = _transfer_problem(transfer.country, transfer.safeguard)
            if message is not None:
                yield Finding(at + ("safeguard",), message)
            if transfer.fallback is not None and transfer.fallback is not transfer.safeguard:
                fallback = _transfer_problem(transfer.country, transfer.fallback)
                if fallback is not None:
                    yield Finding(at + ("fallback",), fallback)
