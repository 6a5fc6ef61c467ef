"""The activity schema's optional ``banner_category`` (issue 10 item 7; L9, L42): only on a
consent asked in the cookie settings, never the always-on name, and unique in a policy."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from privaat.policy.schema import Policy
from privaat.settings import default_policy_file


def _policy_data() -> dict[str, Any]:
    import yaml

    data: dict[str, Any] = yaml.safe_load(default_policy_file().read_text(encoding="utf-8"))
    return data


def _activity(data: dict[str, Any], activity_id: str) -> dict[str, Any]:
    return next(a for a in data["activities"] if a["id"] == activity_id)


def test_the_shipped_policy_names_the_analytics_social_and_embeds_categories() -> None:
    policy = Policy.model_validate(_policy_data())
    named = {a.id: a.banner_category for a in policy.activities if a.banner_category}
    assert named == {
        "website_analytics": "analytics",
        "social_plugins": "social",
        "embedded_media": "embeds",  # issue 14 item 6
    }


@pytest.mark.parametrize(
    ("activity_id", "category", "message"),
    [
        pytest.param("marketing_email", "mail", "not asked in cookie_settings", id="not-cookies"),
        pytest.param("essential_cookies", "basic", "not asked in cookie_settings", id="no-consent"),
        pytest.param("website_analytics", "necessary", "always-on", id="reserved"),
        pytest.param("website_analytics", "social", "share a banner_category", id="twice"),
    ],
)
def test_a_banner_category_out_of_place_is_refused(
    activity_id: str, category: str, message: str
) -> None:
    data = _policy_data()
    _activity(data, activity_id)["banner_category"] = category
    with pytest.raises(ValidationError, match=message):
        Policy.model_validate(data)


def test_issue14_item5_marketing_email_is_a_double_opt_in_of_seven_days() -> None:
    policy = Policy.model_validate(_policy_data())
    consent = policy.activity("marketing_email").consent
    assert consent is not None and consent.confirm_by_email is not None
    assert str(consent.confirm_by_email) == "P7D"
    # the others are given at once: the double opt-in is the policy's choice per activity
    others = [a.id for a in policy.activities if a.consent and a.consent.confirm_by_email]
    assert others == ["marketing_email"]


def test_issue14_item5_a_double_opt_in_on_a_cookie_banner_consent_is_refused() -> None:
    data = _policy_data()
    # a visitor of the cookie settings has no address for the link to go to
    _activity(data, "website_analytics")["consent"]["confirm_by_email"] = "P7D"
    with pytest.raises(ValidationError, match="'confirm_by_email' on a consent asked in"):
        Policy.model_validate(data)
