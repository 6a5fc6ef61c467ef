"""The fraud score (P8; LEGAL L32; GDPR art. 22): each rule's points and reason, and a high
score that asks for a person, never a refusal."""

from __future__ import annotations

import pytest

from privaat.domain.fraud import (
    REASON_WORDS,
    REVIEW_AT,
    Decision,
    OrderSignals,
    Reason,
    ReasonCode,
    score,
)

CLEAN = OrderSignals(delivery_country="NL", total_cents=4950, ip_country="NL")


def _codes(signals: OrderSignals) -> set[ReasonCode]:
    return {reason.code for reason in score(signals).reasons}


def test_l32_an_ordinary_order_scores_nothing() -> None:
    assessment = score(CLEAN)
    assert assessment.score == 0 and assessment.reasons == () and not assessment.needs_review


@pytest.mark.parametrize(
    ("changes", "code", "points"),
    [
        pytest.param({"same_email_24h": 2}, ReasonCode.VELOCITY_EMAIL, 25, id="email-velocity"),
        pytest.param({"same_ip_24h": 3}, ReasonCode.VELOCITY_IP, 20, id="ip-velocity"),
        pytest.param(
            {"same_address_24h": 3}, ReasonCode.VELOCITY_ADDRESS, 15, id="address-velocity"
        ),
        pytest.param({"ip_country": "US"}, ReasonCode.COUNTRY_MISMATCH, 30, id="ip-abroad"),
        pytest.param({"disposable_email": True}, ReasonCode.DISPOSABLE_EMAIL, 40, id="disposable"),
        pytest.param(
            {"account_name": "Jan Jansen", "delivery_name": "Piet Pietersen"},
            ReasonCode.NAME_MISMATCH,
            10,
            id="name-mismatch",
        ),
        pytest.param(
            {"total_cents": 69900}, ReasonCode.FIRST_ORDER_HIGH_AMOUNT, 25, id="first-high"
        ),
    ],
)
def test_l32_each_rule_gives_its_points_and_its_reason(
    changes: dict[str, object], code: ReasonCode, points: int
) -> None:
    assessment = score(_with(changes))
    [reason] = assessment.reasons
    assert reason.code is code and reason.points == points == assessment.score


def _with(changes: dict[str, object]) -> OrderSignals:
    fields = {
        "delivery_country": "NL",
        "total_cents": 4950,
        "ip_country": "NL",
        **changes,
    }
    return OrderSignals(**fields)  # type: ignore[arg-type]


def test_l32_below_the_thresholds_no_rule_applies() -> None:
    assert not _codes(_with({"same_email_24h": 1, "same_ip_24h": 2, "same_address_24h": 2}))
    assert not _codes(_with({"total_cents": 69900, "earlier_orders": 1}))
    assert not _codes(_with({"account_name": "Jan  JANSEN", "delivery_name": "jan jansen"}))
    assert not _codes(_with({"ip_country": None}))  # a private or unknown address


def test_l32_a_high_score_asks_for_a_person_and_decides_nothing() -> None:
    assessment = score(_with({"disposable_email": True, "total_cents": 69900}))
    assert assessment.score == 65 >= REVIEW_AT and assessment.needs_review
    # the score has no refusal to give: only a person's Decision refuses
    assert not hasattr(assessment, "decision")
    assert {d.value for d in Decision} == {"none", "approved", "refused"}


def test_l32_every_reason_has_words_and_survives_its_stored_form() -> None:
    assert set(REASON_WORDS) == set(ReasonCode)
    reason = Reason(ReasonCode.COUNTRY_MISMATCH, 30, {"ip_country": "US", "country": "NL"})
    assert Reason.from_json(reason.as_json()) == reason
    assert reason.words(lambda text: text) == (
        "The order was placed from US, the delivery address is in NL."
    )
