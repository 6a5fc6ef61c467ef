"""The words the register and the public text share, looked up in one gettext catalogue.

    LANGUAGES                    the languages the policy is published in
    Translator                   what policy/ needs of a catalogue (gettext.GNUTranslations fits)
    use_catalogue, translator    the catalogue in use; ``privaat.i18n`` installs its .po files
    N_                           marks an English msgid that is translated later, where shown
    legal_basis_words            LegalBasis  → "toestemming (art. 6 lid 1 onder a AVG)"
    recipient_role_words         RecipientRole → "verwerker"
    safeguard_words              Safeguard   → "binnen de EER"
    dpia_criterion_words         DpiaCriterion → "fraudebestrijding" (the AP's DPIA list)
    period_in_words              P1Y6M       → "1 jaar en 6 maanden"
    retention_in_words           Retention   → "12 maanden na verzameling", in a given voice

Every word is an English msgid in this code; its Dutch (and English) text is in the catalogue.
This package stays pure: it never reads a .po file itself, it asks the catalogue it was given
(``use_catalogue``), so the Babel loader lives outside ``policy/``. The art. 30 register
(``privaat.policy.ropa``) and the public privacy text (``privaat.render``) both take these
words from here, so they can never name the same thing differently. DPV purposes and data
subjects are worded in ``privaat.policy.dpv_words``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol, TypeVar

from privaat.policy.period import Period
from privaat.policy.schema import (
    DpiaCriterion,
    LegalBasis,
    RecipientRole,
    Retention,
    RetentionStart,
    Safeguard,
)

__all__ = [
    "DPIA_CRITERION_WORDS",
    "LANGUAGES",
    "LEGAL_BASIS_WORDS",
    "N_",
    "RECIPIENT_ROLE_WORDS",
    "SAFEGUARD_WORDS",
    "Catalogue",
    "RetentionPhrases",
    "Translator",
    "dpia_criterion_words",
    "for_language",
    "legal_basis_words",
    "period_in_words",
    "recipient_role_words",
    "retention_in_words",
    "safeguard_words",
    "translator",
    "use_catalogue",
]

LANGUAGES: tuple[str, ...] = ("nl", "en")

_T = TypeVar("_T")


class Translator(Protocol):
    """The part of a gettext catalogue the policy's words need."""

    def gettext(self, message: str, /) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int, /) -> str: ...

    def pgettext(self, context: str, message: str, /) -> str: ...


Catalogue = Callable[[str], Translator]
"""A published language → its translator; ``privaat.i18n.translations`` is the one in use."""

_catalogue: Catalogue | None = None


def use_catalogue(catalogue: Catalogue) -> None:
    """Word everything ``policy`` writes from ``catalogue`` from now on."""
    global _catalogue  # one catalogue per process, installed by privaat.i18n at import
    _catalogue = catalogue


def translator(lang: str) -> Translator:
    """The catalogue's translator for a published language; ValueError for any other."""
    if lang not in LANGUAGES:
        raise _unsupported(lang)
    if _catalogue is None:
        raise LookupError("no catalogue in use: import privaat.i18n, which loads the .po files")
    return _catalogue(lang)


def N_(message: str) -> str:
    """``message`` unchanged: marks an English msgid for extraction, translated where shown."""
    return message


LEGAL_BASIS_WORDS: Mapping[LegalBasis, str] = MappingProxyType(
    {
        LegalBasis.CONSENT: N_("consent (GDPR art. 6(1)(a))"),
        LegalBasis.CONTRACT: N_("performance of a contract (GDPR art. 6(1)(b))"),
        LegalBasis.LEGAL_OBLIGATION: N_("compliance with a legal obligation (GDPR art. 6(1)(c))"),
        LegalBasis.VITAL_INTERESTS: N_("protection of vital interests (GDPR art. 6(1)(d))"),
        LegalBasis.PUBLIC_TASK: N_(
            "performance of a task in the public interest (GDPR art. 6(1)(e))"
        ),
        LegalBasis.LEGITIMATE_INTEREST: N_("legitimate interests (GDPR art. 6(1)(f))"),
    }
)

RECIPIENT_ROLE_WORDS: Mapping[RecipientRole, str] = MappingProxyType(
    {
        RecipientRole.PROCESSOR: N_("processor"),
        RecipientRole.CONTROLLER: N_("independent controller"),
        RecipientRole.JOINT_CONTROLLER: N_("joint controller (GDPR art. 26)"),
        RecipientRole.GROUP_COMPANY: N_("group company"),
        RecipientRole.AUTHORITY: N_("public authority"),
        RecipientRole.SUCCESSOR: N_("successor"),
    }
)

SAFEGUARD_WORDS: Mapping[Safeguard, str] = MappingProxyType(
    {
        Safeguard.EEA: N_("within the EEA"),
        Safeguard.ADEQUACY: N_("adequacy decision of the European Commission (GDPR art. 45)"),
        Safeguard.DATA_PRIVACY_FRAMEWORK: N_(
            "EU–US Data Privacy Framework: an adequacy decision of the European Commission "
            "for certified US companies (GDPR art. 45)"
        ),
        Safeguard.SCC: N_(
            "standard contractual clauses of the European Commission (GDPR art. 46(2)(c))"
        ),
        Safeguard.BCR: N_("binding corporate rules (GDPR art. 47)"),
        Safeguard.EXPLICIT_CONSENT: N_("explicit consent (GDPR art. 49(1)(a))"),
    }
)

# the AP's list of processing that always needs a DPIA (Stcrt. 2019, 64418), each criterion
# in the list's own words, numbered as the list numbers them
DPIA_CRITERION_WORDS: Mapping[DpiaCriterion, str] = MappingProxyType(
    {
        DpiaCriterion.COVERT_INVESTIGATION: N_("covert investigation (AP list, 1)"),
        DpiaCriterion.BLACKLISTS: N_("blacklists (AP list, 2)"),
        DpiaCriterion.FRAUD_PREVENTION: N_("fraud prevention (AP list, 3)"),
        DpiaCriterion.CREDIT_SCORES: N_("credit scores (AP list, 4)"),
        DpiaCriterion.FINANCIAL_SITUATION: N_("financial situation (AP list, 5)"),
        DpiaCriterion.GENETIC_DATA: N_("genetic personal data (AP list, 6)"),
        DpiaCriterion.BIOMETRIC_DATA: N_("biometric data (AP list, 7)"),
        DpiaCriterion.COOPERATION: N_("cooperation arrangements (AP list, 8)"),
        DpiaCriterion.CAMERA_SURVEILLANCE: N_("camera surveillance (AP list, 9)"),
        DpiaCriterion.FLEXIBLE_CAMERAS: N_("flexible camera surveillance (AP list, 10)"),
        DpiaCriterion.EMPLOYEE_MONITORING: N_("monitoring of employees (AP list, 11)"),
        DpiaCriterion.LOCATION_DATA: N_("location data (AP list, 12)"),
        DpiaCriterion.COMMUNICATION_DATA: N_("communication data (AP list, 13)"),
        DpiaCriterion.INTERNET_OF_THINGS: N_("internet of things (AP list, 14)"),
        DpiaCriterion.PROFILING: N_("profiling (AP list, 15)"),
        DpiaCriterion.BEHAVIOUR_OBSERVATION: N_(
            "observation and influencing of behaviour (AP list, 16)"
        ),
        DpiaCriterion.HEALTH_DATA: N_("health data (AP list, 17)"),
    }
)


@dataclass(frozen=True, slots=True)
class RetentionPhrases:
    """How one voice words a retention rule: msgids in which ``{period}`` and ``{event}`` are
    filled in."""

    collection: str
    account_closure: str
    event: str
    consent_withdrawal: str
    # a zero period: the data goes the moment the account closes or consent is withdrawn
    account_closure_only: str
    consent_withdrawal_only: str


def for_language(table: Mapping[str, _T], lang: str) -> _T:
    """The entry of a per-language table, or a ValueError that lists the published languages."""
    try:
        return table[lang]
    except KeyError:
        raise _unsupported(lang) from None


def _unsupported(lang: str) -> ValueError:
    return ValueError(f"unsupported language {lang!r}: choose one of {', '.join(LANGUAGES)}")


def legal_basis_words(basis: LegalBasis, lang: str) -> str:
    """A legal basis of art. 6(1) in words, with its article."""
    return translator(lang).gettext(LEGAL_BASIS_WORDS[basis])


def recipient_role_words(role: RecipientRole, lang: str) -> str:
    """What a recipient is to the controller: "verwerker", "processor"."""
    return translator(lang).gettext(RECIPIENT_ROLE_WORDS[role])


def safeguard_words(safeguard: Safeguard, lang: str) -> str:
    """The ground for sending data where it goes (GDPR art. 45-49), in words."""
    return translator(lang).gettext(SAFEGUARD_WORDS[safeguard])


def dpia_criterion_words(criterion: DpiaCriterion, lang: str) -> str:
    """A criterion of the AP's mandatory DPIA list in words, with its number on the list."""
    return translator(lang).gettext(DPIA_CRITERION_WORDS[criterion])


def period_in_words(period: Period, lang: str) -> str:
    """``P1Y6M`` as "1 jaar en 6 maanden" or "1 year and 6 months"."""
    t = translator(lang)
    amounts = (
        (period.years, t.ngettext("{count} year", "{count} years", period.years)),
        (period.months, t.ngettext("{count} month", "{count} months", period.months)),
        (period.days, t.ngettext("{count} day", "{count} days", period.days)),
    )
    parts = [words.format(count=amount) for amount, words in amounts if amount]
    if not parts:
        return t.ngettext("{count} day", "{count} days", 0).format(count=0)
    if len(parts) == 1:
        return parts[0]
    return t.gettext("{items} and {last}").format(items=", ".join(parts[:-1]), last=parts[-1])


def retention_in_words(retention: Retention, lang: str, phrases: RetentionPhrases) -> str:
    """The main retention rule in words, e.g. "12 maanden na verzameling"."""
    _ = translator(lang).gettext
    period = period_in_words(retention.period, lang)
    zero = retention.period.approx_days() == 0
    if retention.starts is RetentionStart.COLLECTION:
        return _(phrases.collection).format(period=period)
    if retention.starts is RetentionStart.ACCOUNT_CLOSURE:
        if zero:
            return _(phrases.account_closure_only)
        return _(phrases.account_closure).format(period=period)
    if retention.starts is RetentionStart.CONSENT_WITHDRAWAL:
        if zero:
            return _(phrases.consent_withdrawal_only)
        return _(phrases.consent_withdrawal).format(period=period)
    # the schema requires an event to be named when retention starts at one
    event = retention.event.in_language(lang) if retention.event is not None else ""
    return _(phrases.event).format(period=period, event=event)
