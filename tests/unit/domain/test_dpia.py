"""The DPIA's rules (issue 15 item 9; GDPR art. 35(7), 36(1); LEGAL L75, L89): the risk
matrix, the residual risk computed from the risks, the decision a high residual risk allows,
and a clear error for each malformed assessment."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from privaat.domain.dpia import (
    Decision,
    DpiaFieldError,
    Level,
    ReviewState,
    Right,
    parse_assessment,
    review_state,
    risk_level,
)

TODAY = date(2026, 12, 4)
L, M, H = Level.LOW, Level.MEDIUM, Level.HIGH


def _document(**overrides: Any) -> dict[str, Any]:
    """A valid assessment of fraud scoring: two risks, two measures, proceed with measures."""
    document: dict[str, Any] = {
        "activity": "fraud_detection",
        "necessity": "Scoring only orders above the card limit; no other means stops fraud.",
        "risks": [
            {
                "id": "wrongful_refusal",
                "description": "An honest customer's order is refused by the score alone.",
                "likelihood": "medium",
                "severity": "high",
                "rights": ["automated_decision", "non_discrimination"],
                "residual": {"likelihood": "low", "severity": "medium"},
            },
            {
                "id": "score_kept",
                "description": "Old scores follow a customer around.",
                "likelihood": "low",
                "severity": "medium",
                "rights": ["data_protection"],
            },
        ],
        "measures": [
            {
                "description": "A person of the fraud team decides every refusal.",
                "reduces": ["wrongful_refusal"],
            },
            {"description": "Scores go after six months.", "reduces": ["score_kept"]},
        ],
        "decision": "proceed_with_measures",
        "decided_on": "2026-12-01",
        "next_review": date(2027, 12, 1),
    }
    document.update(overrides)
    return document


def _refused(document: dict[str, Any]) -> DpiaFieldError:
    with pytest.raises(DpiaFieldError) as caught:
        parse_assessment(document, today=TODAY)
    return caught.value


@pytest.mark.parametrize(
    ("likelihood", "severity", "expected"),
    [
        pytest.param(L, L, L, id="low-low"),
        pytest.param(L, M, L, id="low-medium"),
        pytest.param(M, L, L, id="medium-low"),
        pytest.param(L, H, M, id="low-high"),
        pytest.param(M, M, M, id="medium-medium"),
        pytest.param(H, L, M, id="high-low"),
        pytest.param(M, H, H, id="medium-high"),
        pytest.param(H, M, H, id="high-medium"),
        pytest.param(H, H, H, id="high-high"),
    ],
)
def test_item9_the_risk_matrix_is_the_documented_three_by_three(
    likelihood: Level, severity: Level, expected: Level
) -> None:
    assert risk_level(likelihood, severity) is expected


def test_item9_a_valid_assessment_reads_whole_with_its_residual_risk_computed() -> None:
    assessment = parse_assessment(_document(), today=TODAY)
    refusal, kept = assessment.risks
    assert (refusal.inherent, refusal.residual) == (H, L)  # medium×high → low×medium
    assert (kept.inherent, kept.residual) == (L, L)  # no residual given: as it was
    assert refusal.rights == (Right.AUTOMATED_DECISION, Right.NON_DISCRIMINATION)
    assert assessment.residual is L
    assert not assessment.consultation_required
    assert assessment.decision is Decision.PROCEED_WITH_MEASURES
    assert (assessment.decided_on, assessment.next_review) == (
        date(2026, 12, 1),
        date(2027, 12, 1),
    )
    # what the register stores reads back to the same assessment
    assert parse_assessment(assessment.as_document(), today=TODAY) == assessment


def test_item9_the_residual_risk_is_the_highest_of_the_risks_residuals() -> None:
    document = _document()
    document["risks"][1]["likelihood"] = "high"  # high×medium, nothing reduces it → high
    assessment = parse_assessment(
        _document(decision="consult_ap", risks=document["risks"]), today=TODAY
    )
    assert assessment.residual is H
    assert assessment.consultation_required


@pytest.mark.parametrize("decision", ["proceed", "proceed_with_measures"])
def test_art36_a_high_residual_risk_refuses_to_proceed_without_consulting_the_ap(
    decision: str,
) -> None:
    risks = _document()["risks"]
    risks[0]["residual"] = {"likelihood": "medium", "severity": "high"}  # still high
    error = _refused(_document(risks=risks, decision=decision))
    assert error.field == "decision"
    assert "Autoriteit Persoonsgegevens (art. 36(1))" in error.message


@pytest.mark.parametrize("decision", ["consult_ap", "do_not_proceed"])
def test_art36_a_high_residual_risk_allows_consulting_the_ap_or_stopping(decision: str) -> None:
    risks = _document()["risks"]
    risks[0]["residual"] = {"likelihood": "medium", "severity": "high"}  # not reduced: high
    assessment = parse_assessment(_document(risks=risks, decision=decision), today=TODAY)
    assert assessment.consultation_required and assessment.decision is Decision(decision)


def test_item9_proceed_with_low_residual_risk_and_no_measures_is_fine() -> None:
    risks = [_document()["risks"][1]]  # low, not reduced
    assessment = parse_assessment(
        _document(risks=risks, measures=[], decision="proceed"), today=TODAY
    )
    assert assessment.measures == () and assessment.residual is L


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        pytest.param({"risks": []}, "risks", "at least one risk", id="empty-risk-list"),
        pytest.param({"risks": None}, "risks", "at least one risk", id="no-risk-list"),
        pytest.param(
            {"measures": [{"description": "Logging.", "reduces": ["unknown_risk"]}]},
            "measures[1].reduces",
            "a risk the assessment does not list",
            id="measure-names-unknown-risk",
        ),
        pytest.param(
            {"measures": [{"description": "Logging.", "reduces": []}]},
            "measures[1].reduces",
            "Name the risks",
            id="measure-reduces-nothing",
        ),
        pytest.param(
            {"decision": "proceed_with_measures", "measures": []},
            "risks[1].residual",  # the lowered risk without a measure is found first
            "no measure names it",
            id="lowered-without-a-measure",
        ),
        pytest.param({"decision": "go"}, "decision", "listed values", id="unknown-decision"),
        pytest.param({"decided_on": "2026-12-05"}, "decided_on", "future", id="decided-tomorrow"),
        pytest.param(
            {"next_review": "2026-12-01"}, "next_review", "after the decision", id="review-same-day"
        ),
        pytest.param(
            {"next_review": "2029-12-03"}, "next_review", "three years", id="review-too-late"
        ),
        pytest.param({"decided_on": "1 Dec"}, "decided_on", "Enter a date", id="not-a-date"),
        pytest.param({"necessity": "  "}, "necessity", "required", id="no-necessity"),
        pytest.param({"activity": None}, "activity", "required", id="no-activity"),
        pytest.param({"owner": "Jan"}, "assessment.owner", "unknown", id="unknown-field"),
        pytest.param({"necessity": "x" * 4001}, "necessity", "at most 4000", id="text-too-long"),
        pytest.param(
            {
                "measures": [{"description": "Logging.", "reduces": ["score_kept"]}] * 51,
            },
            "measures",
            "at most 50",
            id="too-many-measures",
        ),
    ],
)
def test_item9_a_malformed_assessment_is_refused_at_its_field(
    change: dict[str, Any], field: str, words: str
) -> None:
    error = _refused(_document(**change))
    assert error.field == field
    assert words in error.message


def _with_risk(**changes: Any) -> dict[str, Any]:
    risks = _document()["risks"]
    risks[0].update(changes)
    return _document(risks=risks)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        pytest.param({"likelihood": "very high"}, "risks[1].likelihood", "listed", id="level"),
        pytest.param({"severity": 3}, "risks[1].severity", "listed", id="level-number"),
        pytest.param({"rights": []}, "risks[1].rights", "rights and freedoms", id="no-rights"),
        pytest.param({"rights": ["happiness"]}, "risks[1].rights", "listed", id="unknown-right"),
        pytest.param({"rights": "privacy"}, "risks[1].rights", "a list", id="rights-not-list"),
        pytest.param({"description": ""}, "risks[1].description", "required", id="no-words"),
        pytest.param({"id": "Risk 1"}, "risks[1].id", "lower-case", id="bad-id"),
        pytest.param({"id": "score_kept"}, "risks[2].id", "Two risks", id="duplicate-id"),
        pytest.param(
            {"residual": {"likelihood": "high", "severity": "high"}},
            "risks[1].residual",
            "cannot raise a risk",
            id="residual-above-inherent",
        ),
        pytest.param(
            {"residual": {"likelihood": "low"}},
            "risks[1].residual.severity",
            "listed",
            id="residual-half-given",
        ),
    ],
)
def test_item9_a_malformed_risk_is_refused_at_its_field(
    changes: dict[str, Any], field: str, words: str
) -> None:
    error = _refused(_with_risk(**changes))
    assert error.field == field
    assert words in error.message


def test_item9_not_a_mapping_is_refused_whole() -> None:
    with pytest.raises(DpiaFieldError) as caught:
        parse_assessment(["risks"], today=TODAY)
    assert caught.value.field == "assessment"


def test_item9_review_state_none_decided_then_due_on_its_review_day() -> None:
    assessment = parse_assessment(_document(), today=TODAY)
    assert review_state(None, TODAY) is ReviewState.NONE
    assert review_state(assessment, TODAY) is ReviewState.DECIDED
    assert review_state(assessment, date(2027, 11, 30)) is ReviewState.DECIDED
    assert review_state(assessment, date(2027, 12, 1)) is ReviewState.REVIEW_DUE
