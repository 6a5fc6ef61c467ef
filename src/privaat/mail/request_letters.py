"""What the requester is told when a request is extended or refused (GDPR art. 12(3)-(4);
LEGAL L55, L56, L58): the reasons, the new date or the refusal, and where to complain.

Pure: the words in the requester's language, from the catalogue; the service queues them.
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

from privaat.i18n import translations
from privaat.mail.transport import OutgoingMail
from privaat.policy.schema import Policy

__all__ = ["extension_letter", "refusal_letter"]


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
