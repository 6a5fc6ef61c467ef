"""The notice to a person affected by a high-risk personal data breach (GDPR art. 34).

Art. 34(2): in clear and plain language, the nature of the breach and at least the items of
art. 33(3)(b)-(d): a contact point, the likely consequences, the measures taken. The frame
and the general advice are the catalogue's (Dutch or English by the person's language); what
happened, what it may mean, what was done and what the person can do are the privacy
officer's own words, written in both languages (``NoticeWords``) and kept in the register.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from privaat.domain.breaches import Nature
from privaat.i18n import N_, translations
from privaat.mail.notices import NoticeText

__all__ = ["BREACH_TEMPLATE", "NoticeWords", "breach_notice_text"]

BREACH_TEMPLATE = "breach_notice"  # the outbox's template name

# general advice per nature, below the officer's own (EDPB Guidelines 9/2022, ex. 7-10)
_ADVICE: Mapping[Nature, str] = MappingProxyType(
    {
        Nature.CONFIDENTIALITY: N_(
            "Be wary of e-mails, text messages and calls that ask for your password or payment "
            "details, even when they seem to come from us: we never ask for them. If you use "
            "the same password elsewhere, change it there too."
        ),
        Nature.INTEGRITY: N_(
            "Check the details in your account, and tell us if something is not right."
        ),
        Nature.AVAILABILITY: N_(
            "If you miss data or a service you rely on, tell us: we will help you restore it."
        ),
    }
)


@dataclass(frozen=True, slots=True)
class NoticeWords:
    """The officer's words of a notice in one language (art. 34(2))."""

    happened: str  # what happened, in plain words
    consequences: str  # what it may mean for the person (art. 33(3)(c))
    measures: str  # what was done and is being done (art. 33(3)(d))
    advice: str  # what the person can do themselves


def breach_notice_text(
    words: NoticeWords,
    language: str,
    *,
    nature: Nature,
    provider: str,
    contact: str,
    authority: str,
    complaint_url: str,
) -> NoticeText:
    """The notice in ``language``: the officer's words in the catalogue's frame, with advice."""
    _ = translations(language).gettext
    parts = (
        _(
            "We are writing to tell you about a security incident at {provider} that affects "
            "your personal data."
        ).format(provider=provider),
        _("What happened") + "\n" + words.happened,
        _("What this may mean for you") + "\n" + words.consequences,
        _("What we have done") + "\n" + words.measures,
        _("What you can do") + "\n" + words.advice + "\n\n" + _(_ADVICE[nature]),
        _("Questions")
        + "\n"
        + _(
            "Write to us at {contact}. You may also complain to {authority} ({complaint_url})."
        ).format(contact=contact, authority=authority, complaint_url=complaint_url),
    )
    return NoticeText(
        _("A security incident involving your data at {provider}").format(provider=provider),
        "\n\n".join(parts),
    )
