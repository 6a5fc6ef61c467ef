"""A data protection impact assessment of one activity, version by version (GDPR art. 35, 36).

    the screening (policy file, ``dpia``) flags the activity: a criterion of the AP's list
         │                                           (Stcrt. 2019, 64418; art. 35(4))
         ▼
    parse_assessment(mapping, today) ──▶ Assessment, or DpiaFieldError(field, message)
         │    risks     each: likelihood × severity on low/medium/high → its inherent level;
         │              the rights and freedoms it touches; the likelihood and severity the
         │              assessor expects once the measures work (stated: its residual level)
         │    measures  each names the risks it reduces (art. 35(7)(d))
         │    residual  computed: the highest residual level of any risk
         │    decision  proceed / proceed with measures / do not proceed / consult the AP
         ▼
    version 1, 2, … (the register never overwrites one) ── review_state(latest, today)
                                                           NONE / DECIDED / REVIEW_DUE

Residual risk is *stated per risk and computed for the assessment*: only the assessor can
judge what a measure does to a risk, but the assessment's residual risk is then a fact of
the numbers, not a second opinion that could contradict them. A residual risk that stays
high makes prior consultation of the Autoriteit Persoonsgegevens mandatory (art. 36(1)): the
decision must then be "consult the AP" (or not to proceed at all). Pure: no I/O, the day is
handed in. Field names in errors count from 1 (``risks[1].severity`` is the first risk's).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

from privaat.policy.wording import N_

__all__ = [
    "DECISION_WORDS",
    "LEVEL_WORDS",
    "MAX_ITEMS",
    "MAX_REVIEW_INTERVAL",
    "MAX_TEXT",
    "RIGHT_WORDS",
    "Assessment",
    "Decision",
    "DpiaFieldError",
    "Level",
    "Measure",
    "ReviewState",
    "Right",
    "Risk",
    "parse_assessment",
    "review_state",
    "risk_level",
]

# WP248 rev.01 (endorsed by the EDPB): a DPIA is re-assessed regularly, at the latest when
# the risk changes; privaat holds every assessment to a review within three years
MAX_REVIEW_INTERVAL = timedelta(days=3 * 365 + 1)
MAX_ITEMS = 50  # risks, measures, and the names in one list: a register entry, not a dump
MAX_TEXT = 4000  # characters of one text (a description, the necessity statement)
_E = TypeVar("_E", bound=StrEnum)
_RISK_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
_FIELDS = frozenset(
    {"activity", "necessity", "risks", "measures", "decision", "decided_on", "next_review"}
)
_RISK_FIELDS = frozenset({"id", "description", "likelihood", "severity", "rights", "residual"})
_MEASURE_FIELDS = frozenset({"description", "reduces"})


class DpiaFieldError(ValueError):
    """A value of an assessment is refused; ``field`` names it, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


class Level(StrEnum):
    """The fixed scale of a likelihood, a severity and a risk (WP248 rev.01, annex 2)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {Level.LOW: 0, Level.MEDIUM: 1, Level.HIGH: 2}


def risk_level(likelihood: Level, severity: Level) -> Level:
    """The risk of a likelihood and a severity: the 3 × 3 matrix by the sum of their ranks.

             severity  low     medium  high
    likelihood low     low     low     medium
               medium  low     medium  high
               high    medium  high    high
    """
    total = likelihood.rank + severity.rank
    return Level.LOW if total <= 1 else Level.MEDIUM if total == 2 else Level.HIGH


class Right(StrEnum):
    """The rights and freedoms a risk touches (art. 35(7)(c); recital 75)."""

    PRIVATE_LIFE = "private_life"  # Charter art. 7: private life and communications
    DATA_PROTECTION = "data_protection"  # Charter art. 8
    EXPRESSION = "expression"  # Charter art. 11: expression and information
    NON_DISCRIMINATION = "non_discrimination"  # Charter art. 21
    PROPERTY = "property"  # Charter art. 17: financial loss
    AUTOMATED_DECISION = "automated_decision"  # GDPR art. 22: a person, not only a machine


class Decision(StrEnum):
    """What the controller decides on the assessment."""

    PROCEED = "proceed"  # the residual risk is acceptable as the processing stands
    PROCEED_WITH_MEASURES = "proceed_with_measures"  # only with the measures in place
    DO_NOT_PROCEED = "do_not_proceed"  # the processing does not start, or stops
    CONSULT_AP = "consult_ap"  # art. 36(1): prior consultation of the AP before it starts


class ReviewState(StrEnum):
    """Where an activity's DPIA stands today."""

    NONE = "none"  # no assessment recorded yet
    DECIDED = "decided"  # the latest version is decided, its review still ahead
    REVIEW_DUE = "review_due"  # the latest version's review date has come


LEVEL_WORDS: Mapping[Level, str] = MappingProxyType(
    {Level.LOW: N_("low"), Level.MEDIUM: N_("medium"), Level.HIGH: N_("high")}
)
RIGHT_WORDS: Mapping[Right, str] = MappingProxyType(
    {
        Right.PRIVATE_LIFE: N_("private life and communications (Charter art. 7)"),
        Right.DATA_PROTECTION: N_("protection of personal data (Charter art. 8)"),
        Right.EXPRESSION: N_("freedom of expression and information (Charter art. 11)"),
        Right.NON_DISCRIMINATION: N_("non-discrimination (Charter art. 21)"),
        Right.PROPERTY: N_("property: financial loss (Charter art. 17)"),
        Right.AUTOMATED_DECISION: N_(
            "not to be subject to a solely automated decision (GDPR art. 22)"
        ),
    }
)
DECISION_WORDS: Mapping[Decision, str] = MappingProxyType(
    {
        Decision.PROCEED: N_("proceed"),
        Decision.PROCEED_WITH_MEASURES: N_("proceed with the measures"),
        Decision.DO_NOT_PROCEED: N_("do not proceed"),
        Decision.CONSULT_AP: N_("consult the Autoriteit Persoonsgegevens first (art. 36)"),
    }
)


@dataclass(frozen=True, slots=True)
class Risk:
    """One risk to the people: how likely, how severe, before and after the measures."""

    id: str
    description: str
    likelihood: Level
    severity: Level
    rights: tuple[Right, ...]
    residual_likelihood: Level
    residual_severity: Level

    @property
    def inherent(self) -> Level:
        return risk_level(self.likelihood, self.severity)

    @property
    def residual(self) -> Level:
        return risk_level(self.residual_likelihood, self.residual_severity)


@dataclass(frozen=True, slots=True)
class Measure:
    """A measure that addresses risks (art. 35(7)(d)); ``reduces`` names them by id."""

    description: str
    reduces: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Assessment:
    """One version's content: necessity, risks, measures, and the decision on them."""

    activity_id: str
    necessity: str  # art. 35(7)(b): necessity and proportionality in relation to the purposes
    risks: tuple[Risk, ...]
    measures: tuple[Measure, ...]
    decision: Decision
    decided_on: date
    next_review: date

    @property
    def residual(self) -> Level:
        """The assessment's residual risk: the highest residual level of its risks."""
        return max((risk.residual for risk in self.risks), key=lambda level: level.rank)

    @property
    def consultation_required(self) -> bool:
        """Art. 36(1): a high residual risk needs the AP's prior consultation."""
        return self.residual is Level.HIGH

    def as_document(self) -> dict[str, object]:
        """The version as plain data, in the shape ``parse_assessment`` reads back."""
        return {
            "activity": self.activity_id,
            "necessity": self.necessity,
            "risks": [
                {
                    "id": r.id,
                    "description": r.description,
                    "likelihood": r.likelihood.value,
                    "severity": r.severity.value,
                    "rights": [right.value for right in r.rights],
                    "residual": {
                        "likelihood": r.residual_likelihood.value,
                        "severity": r.residual_severity.value,
                    },
                }
                for r in self.risks
            ],
            "measures": [
                {"description": m.description, "reduces": list(m.reduces)} for m in self.measures
            ],
            "decision": self.decision.value,
            "decided_on": self.decided_on.isoformat(),
            "next_review": self.next_review.isoformat(),
        }


def review_state(latest: Assessment | None, today: date) -> ReviewState:
    """NONE without an assessment; REVIEW_DUE from the latest version's review date on."""
    if latest is None:
        return ReviewState.NONE
    return ReviewState.REVIEW_DUE if today >= latest.next_review else ReviewState.DECIDED


# --- reading one assessment from plain data (a YAML file, the console's form) ----------------


def parse_assessment(data: object, *, today: date) -> Assessment:
    """The assessment in ``data``, checked whole; the first refused value as DpiaFieldError."""
    top = _mapping(data, "assessment", _FIELDS)
    activity = _words(top.get("activity"), "activity")  # the register checks it names one
    necessity = _words(top.get("necessity"), "necessity")
    risks = _risks(top.get("risks"))
    measures = _measures(top.get("measures"), {risk.id for risk in risks})
    for number, risk in enumerate(risks, start=1):
        _check_residual(risk, number, measures)
    decided_on = _day(top.get("decided_on"), "decided_on")
    if decided_on > today:
        raise DpiaFieldError("decided_on", N_("A decision cannot be dated in the future."))
    next_review = _day(top.get("next_review"), "next_review")
    if next_review <= decided_on:
        raise DpiaFieldError("next_review", N_("The next review must lie after the decision."))
    if next_review - decided_on > MAX_REVIEW_INTERVAL:
        raise DpiaFieldError(
            "next_review", N_("Review the assessment within three years of the decision.")
        )
    decision = _choice(top.get("decision"), Decision, "decision")
    assessment = Assessment(activity, necessity, risks, measures, decision, decided_on, next_review)
    _check_decision(assessment)
    return assessment


def _check_residual(risk: Risk, number: int, measures: Sequence[Measure]) -> None:
    where = f"risks[{number}].residual"
    if (
        risk.residual_likelihood.rank > risk.likelihood.rank
        or risk.residual_severity.rank > risk.severity.rank
    ):
        raise DpiaFieldError(
            where,
            N_(
                "A measure cannot raise a risk: the likelihood and severity after the "
                "measures are at most those before."
            ),
        )
    lowered = (risk.residual_likelihood, risk.residual_severity) != (
        risk.likelihood,
        risk.severity,
    )
    if lowered and not any(risk.id in measure.reduces for measure in measures):
        raise DpiaFieldError(
            where, N_("The risk is lower after the measures, but no measure names it.")
        )


def _check_decision(assessment: Assessment) -> None:
    decision = assessment.decision
    if assessment.consultation_required and decision in (
        Decision.PROCEED,
        Decision.PROCEED_WITH_MEASURES,
    ):
        # art. 36(1): "prior to processing where ... the processing would result in a high
        # risk in the absence of measures taken by the controller to mitigate the risk"
        raise DpiaFieldError(
            "decision",
            N_(
                "The residual risk stays high: the processing may not start before prior "
                "consultation of the Autoriteit Persoonsgegevens (art. 36(1)). Decide to "
                "consult the AP, or not to proceed."
            ),
        )
    if decision is Decision.PROCEED_WITH_MEASURES and not assessment.measures:
        raise DpiaFieldError("decision", N_("Proceeding with measures needs at least one measure."))


def _risks(value: object) -> tuple[Risk, ...]:
    if value is None or (isinstance(value, Sequence) and not isinstance(value, str) and not value):
        raise DpiaFieldError("risks", N_("An assessment needs at least one risk (art. 35(7)(c))."))
    items = _list(value, "risks")
    seen: set[str] = set()
    risks = []
    for number, item in enumerate(items, start=1):
        where = f"risks[{number}]"
        fields = _mapping(item, where, _RISK_FIELDS)
        risk_id = _word(fields.get("id"), f"{where}.id")
        if risk_id in seen:
            raise DpiaFieldError(f"{where}.id", N_("Two risks have this id."))
        seen.add(risk_id)
        likelihood = _choice(fields.get("likelihood"), Level, f"{where}.likelihood")
        severity = _choice(fields.get("severity"), Level, f"{where}.severity")
        rights = tuple(
            _choice(right, Right, f"{where}.rights")
            for right in _list(fields.get("rights"), f"{where}.rights")
        )
        if not rights:
            raise DpiaFieldError(
                f"{where}.rights", N_("Name the rights and freedoms this risk touches.")
            )
        residual_likelihood, residual_severity = likelihood, severity
        residual = fields.get("residual")
        if residual is not None:
            after = _mapping(residual, f"{where}.residual", frozenset({"likelihood", "severity"}))
            residual_likelihood = _choice(
                after.get("likelihood"), Level, f"{where}.residual.likelihood"
            )
            residual_severity = _choice(after.get("severity"), Level, f"{where}.residual.severity")
        risks.append(
            Risk(
                id=risk_id,
                description=_words(fields.get("description"), f"{where}.description"),
                likelihood=likelihood,
                severity=severity,
                rights=tuple(dict.fromkeys(rights)),
                residual_likelihood=residual_likelihood,
                residual_severity=residual_severity,
            )
        )
    return tuple(risks)


def _measures(value: object, known: set[str]) -> tuple[Measure, ...]:
    if value is None:
        return ()
    measures = []
    for number, item in enumerate(_list(value, "measures"), start=1):
        where = f"measures[{number}]"
        fields = _mapping(item, where, _MEASURE_FIELDS)
        description = _words(fields.get("description"), f"{where}.description")
        reduces = tuple(
            _word(name, f"{where}.reduces") for name in _list(fields.get("reduces"), where)
        )
        if not reduces:
            raise DpiaFieldError(f"{where}.reduces", N_("Name the risks this measure reduces."))
        if any(name not in known for name in reduces):
            raise DpiaFieldError(
                f"{where}.reduces", N_("This measure names a risk the assessment does not list.")
            )
        measures.append(Measure(description, tuple(dict.fromkeys(reduces))))
    return tuple(measures)


def _mapping(value: object, where: str, allowed: frozenset[str]) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise DpiaFieldError(where, N_("Expected named fields here."))
    for key in value:
        if not isinstance(key, str) or key not in allowed:
            raise DpiaFieldError(f"{where}.{key}", N_("This field is unknown."))
    return value


def _list(value: object, where: str) -> Sequence[object]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise DpiaFieldError(where, N_("Expected a list here."))
    if len(value) > MAX_ITEMS:
        raise DpiaFieldError(where, N_("This list is too long: at most 50 entries."))
    return value


def _words(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DpiaFieldError(where, N_("This field is required."))
    if len(value) > MAX_TEXT:
        raise DpiaFieldError(where, N_("This text is too long: at most 4000 characters."))
    return value.strip()


def _word(value: object, where: str) -> str:
    text = _words(value, where)
    if not _RISK_ID.fullmatch(text):
        raise DpiaFieldError(
            where, N_("Use lower-case letters, digits, '_' or '-' (at most 40) for an id.")
        )
    return text


def _choice(value: object, kind: type[_E], where: str) -> _E:
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return kind(value)
    except ValueError:
        raise DpiaFieldError(where, N_("Choose one of the listed values.")) from None


def _day(value: object, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise DpiaFieldError(where, N_("Enter a date, such as 2026-12-01."))
