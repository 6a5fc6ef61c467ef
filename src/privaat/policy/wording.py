"""The words the register and the public text share, in every published language (nl, en).

    LANGUAGES                    the languages the policy is published in
    LEGAL_BASIS_WORDS            LegalBasis  → "toestemming (art. 6 lid 1 onder a AVG)"
    RECIPIENT_ROLE_WORDS         RecipientRole → "verwerker"
    SAFEGUARD_WORDS              Safeguard   → "binnen de EER"
    period_in_words              P1Y6M       → "1 jaar en 6 maanden"
    retention_in_words           Retention   → "12 maanden na verzameling", in a given voice

The art. 30 register (``privaat.policy.ropa``) and the public privacy text
(``privaat.render``) both take these words from here, so they can never name the same thing
differently. DPV purposes and data subjects are worded in ``privaat.policy.dpv_words``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeVar

from privaat.policy.period import Period
from privaat.policy.schema import (
    LegalBasis,
    RecipientRole,
    Retention,
    RetentionStart,
    Safeguard,
    Text,
)

__all__ = [
    "LANGUAGES",
    "LEGAL_BASIS_WORDS",
    "RECIPIENT_ROLE_WORDS",
    "SAFEGUARD_WORDS",
    "RetentionPhrases",
    "for_language",
    "period_in_words",
    "retention_in_words",
]

LANGUAGES: tuple[str, ...] = ("nl", "en")

_T = TypeVar("_T")

LEGAL_BASIS_WORDS: Mapping[LegalBasis, Text] = MappingProxyType(
    {
        LegalBasis.CONSENT: Text(
            nl="toestemming (art. 6 lid 1 onder a AVG)", en="consent (GDPR art. 6(1)(a))"
        ),
        LegalBasis.CONTRACT: Text(
            nl="uitvoering van een overeenkomst (art. 6 lid 1 onder b AVG)",
            en="performance of a contract (GDPR art. 6(1)(b))",
        ),
        LegalBasis.LEGAL_OBLIGATION: Text(
            nl="wettelijke verplichting (art. 6 lid 1 onder c AVG)",
            en="compliance with a legal obligation (GDPR art. 6(1)(c))",
        ),
        LegalBasis.VITAL_INTERESTS: Text(
            nl="bescherming van vitale belangen (art. 6 lid 1 onder d AVG)",
            en="protection of vital interests (GDPR art. 6(1)(d))",
        ),
        LegalBasis.PUBLIC_TASK: Text(
            nl="vervulling van een taak van algemeen belang (art. 6 lid 1 onder e AVG)",
            en="performance of a task in the public interest (GDPR art. 6(1)(e))",
        ),
        LegalBasis.LEGITIMATE_INTEREST: Text(
            nl="gerechtvaardigd belang (art. 6 lid 1 onder f AVG)",
            en="legitimate interests (GDPR art. 6(1)(f))",
        ),
    }
)

RECIPIENT_ROLE_WORDS: Mapping[RecipientRole, Text] = MappingProxyType(
    {
        RecipientRole.PROCESSOR: Text(nl="verwerker", en="processor"),
        RecipientRole.CONTROLLER: Text(
            nl="zelfstandige verwerkingsverantwoordelijke", en="independent controller"
        ),
        RecipientRole.GROUP_COMPANY: Text(nl="groepsmaatschappij", en="group company"),
        RecipientRole.AUTHORITY: Text(nl="overheidsinstantie", en="public authority"),
        RecipientRole.SUCCESSOR: Text(nl="rechtsopvolger", en="successor"),
    }
)

SAFEGUARD_WORDS: Mapping[Safeguard, Text] = MappingProxyType(
    {
        Safeguard.EEA: Text(nl="binnen de EER", en="within the EEA"),
        Safeguard.ADEQUACY: Text(
            nl="adequaatheidsbesluit van de Europese Commissie (art. 45 AVG)",
            en="adequacy decision of the European Commission (GDPR art. 45)",
        ),
        Safeguard.SCC: Text(
            nl="standaardcontractbepalingen van de Europese Commissie (art. 46 lid 2 onder c AVG)",
            en="standard contractual clauses of the European Commission (GDPR art. 46(2)(c))",
        ),
        Safeguard.BCR: Text(
            nl="bindende bedrijfsvoorschriften (art. 47 AVG)",
            en="binding corporate rules (GDPR art. 47)",
        ),
        Safeguard.EXPLICIT_CONSENT: Text(
            nl="uitdrukkelijke toestemming (art. 49 lid 1 onder a AVG)",
            en="explicit consent (GDPR art. 49(1)(a))",
        ),
    }
)


@dataclass(frozen=True, slots=True)
class RetentionPhrases:
    """How one voice words a retention rule; ``{period}`` and ``{event}`` are filled in."""

    collection: str
    account_closure: str
    event: str
    consent_withdrawal: str
    # a zero period: the data goes the moment the account closes or consent is withdrawn
    account_closure_only: str
    consent_withdrawal_only: str


@dataclass(frozen=True, slots=True)
class _PeriodWords:
    units: tuple[tuple[str, str], tuple[str, str], tuple[str, str]]  # (one, many) y, m, d
    conjunction: str


_PERIOD_WORDS: Mapping[str, _PeriodWords] = MappingProxyType(
    {
        # Dutch counts years in the singular: "7 jaar"
        "nl": _PeriodWords(
            units=(("jaar", "jaar"), ("maand", "maanden"), ("dag", "dagen")), conjunction="en"
        ),
        "en": _PeriodWords(
            units=(("year", "years"), ("month", "months"), ("day", "days")), conjunction="and"
        ),
    }
)


def for_language(table: Mapping[str, _T], lang: str) -> _T:
    """The entry of a per-language table, or a ValueError that lists the published languages."""
    try:
        return table[lang]
    except KeyError:
        raise ValueError(
            f"unsupported language {lang!r}: choose one of {', '.join(LANGUAGES)}"
        ) from None


def period_in_words(period: Period, lang: str) -> str:
    """``P1Y6M`` as "1 jaar en 6 maanden" or "1 year and 6 months"."""
    words = for_language(_PERIOD_WORDS, lang)
    amounts = (period.years, period.months, period.days)
    parts = [
        f"{amount} {one if amount == 1 else many}"
        for amount, (one, many) in zip(amounts, words.units, strict=True)
        if amount
    ]
    if not parts:
        return f"0 {words.units[2][1]}"
    if len(parts) == 1:
        return parts[0]
    return f"{', '.join(parts[:-1])} {words.conjunction} {parts[-1]}"


def retention_in_words(retention: Retention, lang: str, phrases: RetentionPhrases) -> str:
    """The main retention rule in words, e.g. "12 maanden na verzameling"."""
    period = period_in_words(retention.period, lang)
    zero = retention.period.approx_days() == 0
    if retention.starts is RetentionStart.COLLECTION:
        return phrases.collection.format(period=period)
    if retention.starts is RetentionStart.ACCOUNT_CLOSURE:
        return (
            phrases.account_closure_only if zero else phrases.account_closure.format(period=period)
        )
    if retention.starts is RetentionStart.CONSENT_WITHDRAWAL:
        if zero:
            return phrases.consent_withdrawal_only
        return phrases.consent_withdrawal.format(period=period)
    # the schema requires an event to be named when retention starts at one
    event = retention.event.in_language(lang) if retention.event is not None else ""
    return phrases.event.format(period=period, event=event)
