"""What the requester is told when a request is extended, refused or carried out (GDPR
art. 12(3)-(4), 16-19, 21; LEGAL L55, L56, L58, L64-L67), and what a recipient is told of a
rectification, erasure or restriction (art. 19). Every letter to the requester ends with
where to complain (art. 77; issue 11 item 9): ``complaint``.

Pure: the words in the requester's language, from the catalogue; the service queues them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date

from privaat.i18n import translations
from privaat.mail.transport import OutgoingMail
from privaat.policy.schema import Policy

__all__ = [
    "KeptItem",
    "complaint",
    "erasure_letter",
    "extension_letter",
    "lift_letter",
    "objection_letter",
    "recipient_letter",
    "rectification_letter",
    "refusal_letter",
    "restriction_letter",
]


@dataclass(frozen=True, slots=True)
class KeptItem:
    """What an erasure kept (L64): the data, why (activity, basis, ground), and until when."""

    what: str
    why: str
    until: date


def complaint(policy: Policy, lang: str) -> str:
    """The sentence every answer ends with: the supervisory authority, its site, a court."""
    return _complaint(policy, lang)


def _complaint(policy: Policy, lang: str) -> str:
    _ = translations(lang).gettext
    authority = policy.supervisory_authority
    # art. 12(4), 77, 79: a complaint to the supervisory authority, or a court
    return _("If you disagree, you may complain to the {authority} ({url}) or go to court.").format(
        authority=authority.name, url=authority.complaint_url
    )


def extension_letter(
    policy: Policy, *, to: str, lang: str, reference: str, reason: str, due_on: date
) -> OutgoingMail:
    """The notice of an extension, sent within the first month (art. 12(3))."""
    _ = translations(lang).gettext
    body = "\n\n".join(
        (
            _("We need more time to answer your request {reference}.").format(reference=reference),
            _("The reason: {reason}").format(reason=reason),
            _("We will answer by {due} at the latest.").format(
                due=format_date(due_on, format="long", locale=lang)
            ),
            _complaint(policy, lang),
            policy.controller.name,
        )
    )
    subject = _("Your privacy request {reference}: more time").format(reference=reference)
    return OutgoingMail(to=to, subject=subject, body=body)


def refusal_letter(
    policy: Policy, *, to: str, lang: str, reference: str, reason: str
) -> OutgoingMail:
    """The refusal, with its reasons and the right to complain (art. 12(4)-(5))."""
    _ = translations(lang).gettext
    body = "\n\n".join(
        (
            _("We cannot carry out your request {reference}.").format(reference=reference),
            _("The reason: {reason}").format(reason=reason),
            _complaint(policy, lang),
            policy.controller.name,
        )
    )
    subject = _("Your privacy request {reference}: our answer").format(reference=reference)
    return OutgoingMail(to=to, subject=subject, body=body)


def _date(day: date, lang: str) -> str:
    return format_date(day, format="long", locale=lang)


def _letter(
    policy: Policy, *, to: str, lang: str, reference: str, paragraphs: Sequence[str]
) -> OutgoingMail:
    _ = translations(lang).gettext
    body = "\n\n".join((*paragraphs, _complaint(policy, lang), policy.controller.name))
    subject = _("Your privacy request {reference}: done").format(reference=reference)
    return OutgoingMail(to=to, subject=subject, body=body)


def _told(lang: str, told: Sequence[str], untold: Sequence[str]) -> str:
    # art. 19, last sentence: the person is told who was informed
    _ = translations(lang).gettext
    if not told and not untold:
        return _("We have passed these data to no one who needs to be told.")
    names = ", ".join((*told, *untold))
    return _("We have told the recipients of these data: {names}.").format(names=names)


def rectification_letter(
    policy: Policy,
    *,
    to: str,
    lang: str,
    reference: str,
    fields: Sequence[str],
    told: Sequence[str],
    untold: Sequence[str] = (),
) -> OutgoingMail:
    """The data were corrected (art. 16); which recipients were told (art. 19)."""
    _ = translations(lang).gettext
    return _letter(
        policy,
        to=to,
        lang=lang,
        reference=reference,
        paragraphs=(
            _("We have corrected your data as you asked (request {reference}).").format(
                reference=reference
            ),
            _("Corrected: {fields}.").format(fields=", ".join(fields)),
            _told(lang, told, untold),
        ),
    )


def erasure_letter(
    policy: Policy,
    *,
    to: str,
    lang: str,
    reference: str,
    kept: Sequence[KeptItem],
    told: Sequence[str],
    receipt: str,
    sha256: str,
) -> OutgoingMail:
    """The data were erased (art. 17); exactly what was kept, why and until when (L34, L64);
    the completion receipt, whose SHA-256 is in our audit trail."""
    _ = translations(lang).gettext
    kept_lines = [
        _("- {what}: {why}; until {until} at the latest.").format(
            what=item.what, why=item.why, until=_date(item.until, lang)
        )
        for item in kept
    ]
    keeping = (
        "\n".join(
            (_("The law makes us keep some data, restricted: used for nothing else."), *kept_lines)
        )
        if kept
        else _("We have kept nothing.")
    )
    return _letter(
        policy,
        to=to,
        lang=lang,
        reference=reference,
        paragraphs=(
            _("We have erased your data (request {reference}).").format(reference=reference),
            keeping,
            _told(lang, told, ()),
            _("Your completion receipt (SHA-256 {sha256}):").format(sha256=sha256) + "\n" + receipt,
        ),
    )


def restriction_letter(
    policy: Policy,
    *,
    to: str,
    lang: str,
    reference: str,
    scope: str,
    told: Sequence[str],
    untold: Sequence[str] = (),
) -> OutgoingMail:
    """Processing is restricted (art. 18); we tell the person before it is lifted (L65)."""
    _ = translations(lang).gettext
    return _letter(
        policy,
        to=to,
        lang=lang,
        reference=reference,
        paragraphs=(
            _("We have restricted the processing of your data (request {reference}).").format(
                reference=reference
            ),
            _(
                "Restricted: {scope}. Meanwhile we only store these data, or use them for "
                "legal claims."
            ).format(scope=scope),
            _("We will tell you before we lift the restriction."),
            _told(lang, told, untold),
        ),
    )


def lift_letter(
    policy: Policy, *, to: str, lang: str, reference: str, lift_on: date, days: int
) -> OutgoingMail:
    """The notice before a restriction is lifted (art. 18(3), L65), ``days`` ahead."""
    _ = translations(lang).gettext
    body = "\n\n".join(
        (
            _(
                "We will lift the restriction of your request {reference} on {day}, in {days} days."
            ).format(reference=reference, day=_date(lift_on, lang), days=days),
            _("From then on we process these data again as our privacy statement says."),
            _("If you disagree, reply before then."),
            _complaint(policy, lang),
            policy.controller.name,
        )
    )
    subject = _("Your privacy request {reference}: the restriction ends").format(
        reference=reference
    )
    return OutgoingMail(to=to, subject=subject, body=body)


def objection_letter(
    policy: Policy, *, to: str, lang: str, reference: str, activity: str
) -> OutgoingMail:
    """The objection is upheld: the processing has stopped for the person (art. 21)."""
    _ = translations(lang).gettext
    return _letter(
        policy,
        to=to,
        lang=lang,
        reference=reference,
        paragraphs=(
            _("We have recorded your objection (request {reference}).").format(reference=reference),
            _("We no longer process your data for: {activity}.").format(activity=activity),
        ),
    )


def recipient_letter(
    policy: Policy,
    *,
    to: str,
    lang: str,
    reference: str,
    step: str,
    person: str,
    detail: str,
) -> OutgoingMail:
    """To a recipient (art. 19): a rectification, erasure or restriction of data it received
    from us, about the person named (their address with us), with what changed."""
    _ = translations(lang).gettext
    opening = {
        "rectification": _("We have corrected personal data that we passed to you."),
        "erasure": _("We have erased personal data that we passed to you."),
        "restriction": _(
            "We have restricted the processing of personal data that we passed to you."
        ),
    }[step]
    body = "\n\n".join(
        (
            opening,
            _("The person: {person}. Our reference: {reference}.").format(
                person=person, reference=reference
            ),
            detail,
            _(
                "Article 19 GDPR asks us to tell you; please do the same with your copy of "
                "these data."
            ),
            policy.controller.name,
        )
    )
    subject = _("Personal data you received from {controller} (art. 19 GDPR)").format(
        controller=policy.controller.name
    )
    return OutgoingMail(to=to, subject=subject, body=body)
