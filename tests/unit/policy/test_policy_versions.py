"""``check_versions``: a new policy file must say it is a new version where its changes need it
(the policy version and date for a material change, L48/L49; the consent version for a changed
consent request, L50/L86), and no version or date ever goes back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from privaat.policy.diff import check_versions
from privaat.policy.loader import load_policy
from privaat.policy.period import Period
from privaat.policy.schema import Policy, Text
from privaat.policy.validate import Finding

OLD = load_policy((Path(__file__).parent / "fixtures" / "minimal_policy.yaml").read_text("utf-8"))
NEWSLETTER = 1  # its position in the fixture
VERSION, DATE = ("policy", "version"), ("policy", "last_updated")
CONSENT_VERSION = ("activities", NEWSLETTER, "consent", "version")


def _meta(**changes: Any) -> dict[str, Any]:
    return {"policy": OLD.policy.model_copy(update=changes)}


def _next(policy: Policy) -> Policy:
    """``policy`` as the next version: version + 1, dated a month later."""
    meta = policy.policy
    later = Period(months=1).after_date(meta.last_updated)
    return policy.model_copy(update=_meta(version=meta.version + 1, last_updated=later))


def _longer_retention(policy: Policy) -> Policy:
    account = policy.activities[0]
    retention = account.retention.model_copy(update={"period": Period(days=60)})
    activities = (account.model_copy(update={"retention": retention}), *policy.activities[1:])
    return policy.model_copy(update={"activities": activities})


def _consent(policy: Policy, *, request: Text | None = None, version: int | None = None) -> Policy:
    newsletter = policy.activities[NEWSLETTER]
    assert newsletter.consent is not None
    consent = newsletter.consent.model_copy(
        update={
            "request": request or newsletter.consent.request,
            "version": version or newsletter.consent.version,
        }
    )
    activities = list(policy.activities)
    activities[NEWSLETTER] = newsletter.model_copy(update={"consent": consent})
    return policy.model_copy(update={"activities": tuple(activities)})


def _where(findings: list[Finding]) -> list[tuple[str | int, ...]]:
    return [f.location for f in findings]


# the English request is unchanged; only the Dutch one now covers SMS and partners' offers
WIDER_IN_DUTCH = Text(
    nl="Ja, stuur mij de nieuwsbrief en sms, ook met aanbiedingen van onze partners.",
    en="Yes, send me the newsletter.",
)


def test_l48_a_material_change_with_a_new_version_and_a_later_date_passes() -> None:
    assert check_versions(OLD, _next(_longer_retention(OLD))) == []


def test_l48_a_material_change_without_a_new_version_or_date_is_refused() -> None:
    findings = check_versions(OLD, _longer_retention(OLD))

    assert _where(findings) == [VERSION, DATE]
    assert "material changes need a new policy version: raise it above 1" in findings[0].message
    assert "later 'last updated' date than 2026-11-26" in findings[1].message


@pytest.mark.parametrize(
    ("changes", "refused"),
    [
        pytest.param({"version": 2}, [DATE], id="new-version-same-date"),
        pytest.param({"last_updated": OLD.policy.last_updated.replace(day=30)}, [VERSION],
                     id="later-date-same-version"),
    ],
)  # fmt: skip
def test_l48_a_material_change_needs_both_the_version_and_the_date_raised(
    changes: dict[str, Any], refused: list[tuple[str, str]]
) -> None:
    new = _longer_retention(OLD).model_copy(update=_meta(**changes))

    assert _where(check_versions(OLD, new)) == refused


def test_l48_editorial_changes_need_no_new_version() -> None:
    renamed = OLD.activities[0].model_copy(update={"name": Text(nl="Uw account", en="Account")})
    new = OLD.model_copy(update={"activities": (renamed, *OLD.activities[1:])})

    assert check_versions(OLD, new) == []


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        pytest.param({"version": 2}, None, id="a-new-version-alone"),
        pytest.param({"last_updated": OLD.policy.last_updated.replace(day=1)}, DATE,
                     id="date-goes-back"),
    ],
)  # fmt: skip
def test_l48_without_material_changes_only_a_date_going_back_is_refused(
    changes: dict[str, Any], where: tuple[str, str] | None
) -> None:
    new = OLD.model_copy(update=_meta(**changes))

    assert _where(check_versions(OLD, new)) == ([] if where is None else [where])


def test_l48_the_policy_version_never_goes_back() -> None:
    second = _next(OLD)
    back_to_one = second.model_copy(
        update={"policy": second.policy.model_copy(update={"version": 1})}
    )

    findings = check_versions(second, back_to_one)

    assert _where(findings) == [VERSION]
    assert "went down from 2 to 1" in findings[0].message


def test_l86_a_dutch_only_widening_without_a_new_consent_version_is_refused() -> None:
    findings = check_versions(OLD, _next(_consent(OLD, request=WIDER_IN_DUTCH)))

    assert _where(findings) == [CONSENT_VERSION]
    assert "the consent request changed (nl) but consent.version is still 1" in (
        findings[0].message
    )


def test_l86_a_changed_consent_request_with_a_new_consent_version_passes() -> None:
    new = _next(_consent(OLD, request=WIDER_IN_DUTCH, version=2))

    assert check_versions(OLD, new) == []


def test_l86_a_changed_consent_request_names_every_language_that_changed() -> None:
    both = Text(nl="Ja, ook per sms.", en="Yes, also by text message.")

    (finding,) = check_versions(OLD, _next(_consent(OLD, request=both)))

    assert "changed (nl, en)" in finding.message


def test_l48_a_consent_version_never_goes_back() -> None:
    raised = _next(_consent(OLD, version=3))

    findings = check_versions(raised, _next(_consent(raised, version=2)))

    assert _where(findings) == [CONSENT_VERSION]
    assert "consent.version went down from 3 to 2" in findings[0].message


def test_l50_a_new_consent_based_activity_needs_no_consent_version_of_its_own() -> None:
    # nobody has consented to an activity the old policy lacked: there is nothing to raise
    newsletter = OLD.activities[NEWSLETTER]
    copy = newsletter.model_copy(update={"id": "newsletter_sms", "promises": ("P2",)})
    new = _next(OLD.model_copy(update={"activities": (*OLD.activities, copy)}))

    assert check_versions(OLD, new) == []
