"""Another provider's policy, policies/webwinkel-voorbeeld.yaml: the engine serves any provider.

A small Dutch web shop with its own controller, promise catalogue and activities (no hosting,
no telephony), which still declares the activities the built-in services need.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from privaat.domain.activities import ACCOUNT, LOGIN, LOGIN_LOCATION, NOTICES
from privaat.policy.loader import load_policy_file
from privaat.policy.schema import LegalBasis, Policy
from privaat.policy.validate import check_policy, check_publication
from privaat.render.policy_text import Format, render_policy_text

POLICIES = Path(__file__).resolve().parents[3] / "policies"


@pytest.fixture(scope="module")
def shop() -> Policy:
    return load_policy_file(POLICIES / "webwinkel-voorbeeld.yaml")


@pytest.fixture(scope="module")
def flexibelt() -> Policy:
    return load_policy_file(POLICIES / "flexibelt.yaml")


def test_another_providers_policy_loads_and_is_really_another_provider(
    shop: Policy, flexibelt: Policy
) -> None:
    assert shop.policy.id != flexibelt.policy.id
    assert (shop.controller.name, shop.controller.address.city) == ("De Theepot B.V.", "Groningen")
    assert shop.controller != flexibelt.controller
    assert shop.privacy_contact.email != flexibelt.privacy_contact.email
    assert len(shop.activities) == 15 != len(flexibelt.activities)
    assert {a.id for a in shop.activities} != {a.id for a in flexibelt.activities}


def test_its_promise_ids_mean_what_its_own_catalogue_says(shop: Policy, flexibelt: Policy) -> None:
    ours = {p.id: p.summary for p in shop.promises}
    theirs = {p.id: p.summary for p in flexibelt.promises}

    assert list(ours) == [f"P{n}" for n in range(1, 12)]
    assert all(ours[i] != theirs[i] for i in ours)  # same ids, other promises


def test_it_has_no_telephony_so_no_24_hour_breach_notice(shop: Policy) -> None:
    # LEGAL L70 applies to public electronic communications services only
    assert shop.policy.public_electronic_communications_service is False


def test_it_declares_every_activity_the_built_in_services_need(shop: Policy) -> None:
    # account, log-in and notice services; rights_handling serves erasure requests
    needed = {ACCOUNT, LOGIN, NOTICES, LOGIN_LOCATION, "rights_handling"}

    assert needed <= {a.id for a in shop.activities}


def test_the_login_service_finds_when_to_shorten_log_in_ip_addresses(shop: Policy) -> None:
    # services/login_history.py truncates the full IP after the ip_address minimisation step
    steps = shop.activity(LOGIN_LOCATION).retention.minimise

    assert [step.after.days for step in steps if "ip_address" in step.categories] == [14]


def test_l88_its_cookies_for_visitors_rest_on_a_legitimate_interest(shop: Policy) -> None:
    cookies = shop.activity("essential_cookies")

    assert "dpv:Visitor" in cookies.data_subjects
    assert cookies.legal_basis is LegalBasis.LEGITIMATE_INTEREST
    assert cookies.objection.possible


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("fmt", list(Format))
def test_it_renders_as_its_own_public_policy(shop: Policy, lang: str, fmt: Format) -> None:
    text = render_policy_text(shop, lang=lang, fmt=fmt)

    assert "De Theepot B.V." in text and "privacy@theepot.example" in text
    assert "Flexibelt" not in text


def test_it_is_fit_to_publish_under_the_issue_9_rules(shop: Policy) -> None:
    # the DPO statement, register texts, LIAs, DPIA screening and art. 13(2)(e) texts
    assert check_policy(shop) == [] and check_publication(shop) == []
    assert shop.data_protection_officer is not None
    assert shop.activity("minor_protection").continues_for_minors
    assert {a.situation for a in shop.activities} <= {s.id for s in shop.situations}
