"""The policy's ``google_consent_mode`` block (issue 14 item 1; L39, L44): per banner category
the Google Consent Mode v2 types it grants, the always-on ones only strictly necessary."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from privaat.policy.consent_mode import ConsentType
from privaat.policy.schema import Policy
from privaat.settings import default_policy_file

REPO_POLICIES = default_policy_file().parent


def _data(name: str = "flexibelt.yaml") -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO_POLICIES / name).read_text(encoding="utf-8"))
    return data


def test_l44_flexibelt_grants_analytics_storage_only_with_the_statistics_consent() -> None:
    mode = Policy.model_validate(_data()).google_consent_mode
    assert mode is not None
    assert mode.wait_for_update == 500
    assert mode.grants == {
        "necessary": (ConsentType.SECURITY_STORAGE, ConsentType.FUNCTIONALITY_STORAGE),
        "analytics": (ConsentType.ANALYTICS_STORAGE,),
    }
    # no category grants advertising: Flexibelt shares nothing with Google for ads
    granted = {t for types in mode.grants.values() for t in types}
    assert not granted & {
        ConsentType.AD_STORAGE,
        ConsentType.AD_USER_DATA,
        ConsentType.AD_PERSONALIZATION,
    }


def test_the_web_shop_grants_only_the_strictly_necessary_types() -> None:
    mode = Policy.model_validate(_data("webwinkel-voorbeeld.yaml")).google_consent_mode
    assert mode is not None
    assert mode.always_granted() == (
        ConsentType.SECURITY_STORAGE,
        ConsentType.FUNCTIONALITY_STORAGE,
    )
    assert set(mode.grants) == {"necessary"}


def test_the_block_is_optional() -> None:
    data = _data()
    del data["google_consent_mode"]
    assert Policy.model_validate(data).google_consent_mode is None


@pytest.mark.parametrize(
    ("grants", "message"),
    [
        pytest.param(
            {"necessary": ["security_storage"], "marketing": ["ad_storage"]},
            "no category 'marketing'",
            id="unknown-category",
        ),
        pytest.param(
            {"necessary": ["security_storage", "analytics_storage"]},
            "'analytics_storage' is never strictly necessary",
            id="analytics-always-on",
        ),
        pytest.param(
            {"necessary": ["security_storage", "ad_user_data"]},
            "'ad_user_data' is never strictly necessary",
            id="ads-always-on",
        ),
        pytest.param(
            {"necessary": ["functionality_storage"]},
            "must grant 'security_storage'",
            id="no-security-storage",
        ),
        pytest.param(
            {
                "necessary": ["security_storage"],
                "analytics": ["ad_storage"],
                "social": ["ad_storage"],
            },
            "'ad_storage' is granted by both 'analytics' and 'social'",
            id="one-type-two-categories",
        ),  # fmt: skip
        pytest.param(
            {"necessary": ["security_storage"], "analytics": ["analytics_cookies"]},
            "analytics_cookies",
            id="not-a-consent-type",
        ),
    ],
)
def test_a_consent_mode_block_out_of_place_is_refused_naming_the_field(
    grants: dict[str, list[str]], message: str
) -> None:
    data = _data()
    data["google_consent_mode"] = {"grants": grants}
    with pytest.raises(ValidationError, match=message) as raised:
        Policy.model_validate(data)
    assert "google_consent_mode" in str(raised.value)


def test_an_unknown_key_or_a_wait_out_of_range_is_refused() -> None:
    data = _data()
    data["google_consent_mode"] = {"grants": {"necessary": ["security_storage"]}, "wait": 1}
    with pytest.raises(ValidationError, match="wait"):
        Policy.model_validate(data)
    data["google_consent_mode"] = {
        "grants": {"necessary": ["security_storage"]},
        "wait_for_update": 60_000,
    }
    with pytest.raises(ValidationError, match="wait_for_update"):
        Policy.model_validate(data)
