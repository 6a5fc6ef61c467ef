"""The letter to a processor without an API: a consent change to apply (issue 14 item 2, L11)."""

from __future__ import annotations

from datetime import date, datetime

from privaat.domain.processor_events import Change
from privaat.i18n import translations
from privaat.mail.transport import OutgoingMail
from privaat.policy.schema import Policy

__all__ = ["processor_letter"]


def processor_letter(
    policy: Policy,
    *,
    to: str,
    lang: str,
    activity: str,
    change: Change,
    person: str,
    at: datetime,
    reference: str,
) -> OutgoingMail:
    """To a processor (art. 28(3)(a): it acts on our instructions): the change, the activity
    it concerns, the person (their address where the processor needs it, else a pseudonym)."""
    _ = translations(lang).gettext
    declared = policy.activity(activity)
    name = declared.name.in_language(lang)
    instruction = {
        Change.GIVEN: _("The person has given consent to: {activity}."),
        Change.WITHDRAWN: _(
            "The person has withdrawn consent to: {activity}. Stop this processing for them."
        ),
        Change.OBJECTED: _(
            "The person has objected to: {activity}. Stop this processing for them."
        ),
        Change.SUPPRESSED: _(
            "Put the person on your suppression list for: {activity}. Send them no more "
            "marketing e-mail."
        ),
        Change.LIFTED: _(
            "The person has opted in again to: {activity}. Take them off your suppression list."
        ),
    }[change].format(activity=name)
    body = "\n\n".join(
        (
            instruction,
            _("The person: {person}. When: {at} (UTC). Our reference: {reference}.").format(
                person=person, at=at.strftime("%Y-%m-%d %H:%M"), reference=reference
            ),
            _(
                "You process these data on our behalf (art. 28 GDPR); please apply this change "
                "to your copy without delay and confirm it to us quoting our reference."
            ),
            policy.controller.name,
        )
    )
    subject = _("Privacy change to apply: {activity} ({reference})").format(
        activity=name, reference=reference[:8]
    )
    return OutgoingMail(to=to, subject=subject, body=body)


def task_letter(
    policy: Policy,
    *,
    lang: str,
    reference: str,
    system: str,
    instructions: str,
    due_on: date,
    link: str,
    to: str,
) -> OutgoingMail:
    """To a processor that keeps a system privaat cannot reach (issue 15 item 3; art.
    28(3)(e): it assists with the data subject's rights): what to do for which request, by
    when, and the single-use link that confirms it without an account."""
    _ = translations(lang).gettext
    body = "\n\n".join(
        (
            _(
                "For privacy request {reference} we ask you, as our processor, to do the "
                "following in {system} by {due} (art. 28(3)(e) GDPR):"
            ).format(reference=reference, system=system, due=due_on.isoformat()),
            instructions,
            _("Confirm it here, without an account (the link works once):"),
            link,
            policy.controller.name,
        )
    )
    subject = _("Privacy request {reference}: {system}").format(reference=reference, system=system)
    return OutgoingMail(to=to, subject=subject, body=body + "\n")
