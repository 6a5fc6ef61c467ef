"""Cross-checks of a whole policy, on typed policies built from the minimal fixture."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from privaat.policy.loader import load_policy
from privaat.policy.period import Period
from privaat.policy.schema import (
    Consent,
    LegalHold,
    Minimisation,
    Objection,
    Policy,
    Recipient,
    RecipientRole,
    Retention,
    RetentionStart,
    Safeguard,
    Text,
    Transfer,
    WithdrawalChannel,
)
from privaat.policy.validate import Finding, check_policy
from privaat.policy.vocab import (
    DPV_PURPOSES,
    FIDES_DATA_CATEGORIES,
    FIDES_DATA_USES,
    KNOWN_PROMISES,
    PROMISES_MET_BY_POLICY_BLOCKS,
)

BASE = load_policy((Path(__file__).parent / "fixtures" / "minimal_policy.yaml").read_text("utf-8"))
# positions in the fixture
ACCOUNT, NEWSLETTER, SELECTION = 0, 1, 2
TEXT = Text(nl="tekst", en="text")


def with_activity(index: int, **changes: Any) -> Policy:
    activities = list(BASE.activities)
    activities[index] = activities[index].model_copy(update=changes)
    return BASE.model_copy(update={"activities": tuple(activities)})


def with_recipient(**changes: Any) -> Policy:
    recipient = BASE.recipients[0].model_copy(update=changes)
    return BASE.model_copy(update={"recipients": (recipient,)})


def at(findings: list[Finding], *location: str | int) -> list[str]:
    """The messages of the findings at exactly ``location``."""
    return [f.message for f in findings if f.location == location]


def test_the_minimal_policy_is_consistent() -> None:
    assert check_policy(BASE) == []


@pytest.mark.parametrize(
    ("country", "safeguard", "problem"),
    [
        pytest.param("NL", Safeguard.EEA, None, id="eea"),
        pytest.param("NO", Safeguard.EEA, None, id="eea-not-eu"),
        pytest.param("CH", Safeguard.ADEQUACY, None, id="switzerland-adequacy"),
        pytest.param("GB", Safeguard.ADEQUACY, None, id="uk-adequacy"),
        pytest.param("US", Safeguard.SCC, None, id="us-scc"),
        pytest.param("IN", Safeguard.BCR, None, id="bcr"),
        pytest.param("US", None, "name an art. 45/46 safeguard", id="no-safeguard"),
        pytest.param("CH", Safeguard.EEA, "safeguard 'eea' does not apply", id="ch-is-not-eea"),
        pytest.param(
            "US", Safeguard.ADEQUACY, "no general art. 45 adequacy decision", id="us-dpf-unproven"
        ),
        pytest.param(
            "BR", Safeguard.ADEQUACY, "no general art. 45 adequacy decision", id="no-decision"
        ),
        pytest.param(
            "JP", Safeguard.EXPLICIT_CONSENT, "is a derogation", id="art49-not-a-safeguard"
        ),
    ],
)
def test_l37_a_recipient_outside_the_eea_needs_an_art_45_46_safeguard(
    country: str, safeguard: Safeguard | None, problem: str | None
) -> None:
    findings = check_policy(with_recipient(country=country, safeguard=safeguard))

    messages = at(findings, "recipients", 0, "safeguard")
    if problem is None:
        assert messages == []
    else:
        assert len(messages) == 1 and problem in messages[0]


def test_l37_a_transfer_on_explicit_consent_is_refused() -> None:
    transfer = Transfer(
        recipient="mail_service", country="JP", safeguard=Safeguard.EXPLICIT_CONSENT
    )

    findings = check_policy(with_activity(NEWSLETTER, transfers=(transfer,)))

    assert (
        "is a derogation" in at(findings, "activities", NEWSLETTER, "transfers", 0, "safeguard")[0]
    )


def test_art13_a_recipient_outside_the_eea_needs_its_transfer_listed_in_the_activity() -> None:
    policy = with_recipient(country="US", safeguard=Safeguard.SCC)

    listed = Transfer(recipient="mail_service", country="US", safeguard=Safeguard.SCC)
    fixed = policy.model_copy(
        update={
            "activities": tuple(
                a.model_copy(update={"transfers": (listed,)}) if a.id == "newsletter" else a
                for a in policy.activities
            )
        }
    )

    assert "list the transfer" in at(check_policy(policy), "activities", NEWSLETTER, "transfers")[0]
    assert check_policy(fixed) == []


def test_a_transfer_must_go_to_one_of_the_activitys_recipients() -> None:
    transfer = Transfer(recipient="mail_service", country="NL", safeguard=Safeguard.EEA)

    findings = check_policy(with_activity(ACCOUNT, transfers=(transfer,)))

    assert at(findings, "activities", ACCOUNT, "transfers", 0, "recipient") == [
        "transfer to 'mail_service', not one of this activity's recipients"
    ]


def test_a_transfer_to_an_unknown_recipient_is_refused() -> None:
    transfer = Transfer(recipient="mailer", country="NL", safeguard=Safeguard.EEA)

    findings = check_policy(with_activity(NEWSLETTER, transfers=(transfer,)))

    assert at(findings, "activities", NEWSLETTER, "transfers", 0, "recipient") == [
        "unknown recipient 'mailer' (did you mean 'mail_service'?)"
    ]


def test_an_unknown_recipient_reference_is_refused() -> None:
    findings = check_policy(with_activity(NEWSLETTER, recipients=("mail_servce",)))

    assert at(findings, "activities", NEWSLETTER, "recipients", 0) == [
        "unknown recipient 'mail_servce' (did you mean 'mail_service'?)"
    ]


@pytest.mark.parametrize(
    ("field", "problem"),
    [
        pytest.param("country", "must name its country", id="country"),
        pytest.param("safeguard", "must name its transfer safeguard", id="safeguard"),
        pytest.param("agreement", "art. 28(3) agreement", id="agreement"),
    ],
)
def test_l19_a_processor_names_country_safeguard_and_agreement(field: str, problem: str) -> None:
    findings = check_policy(with_recipient(**{field: None}))

    assert problem in at(findings, "recipients", 0, field)[0]


def test_l19_an_independent_controller_needs_no_art_28_agreement() -> None:
    controller = Recipient(
        id="mail_service",
        name="Betaler B.V.",
        role=RecipientRole.CONTROLLER,
        description=TEXT,
        country="NL",
    )

    assert check_policy(BASE.model_copy(update={"recipients": (controller,)})) == []


def test_duplicate_recipient_ids_point_at_the_first_one() -> None:
    twice = (BASE.recipients[0], BASE.recipients[0])

    findings = check_policy(BASE.model_copy(update={"recipients": twice}))

    assert findings == [
        Finding(
            ("recipients", 1, "id"), "duplicate id 'mail_service'", related=("recipients", 0, "id")
        )
    ]


def test_l15_an_objection_to_direct_marketing_on_legitimate_interest_is_absolute() -> None:
    relative = Objection(possible=True, absolute=False, how=TEXT)

    findings = check_policy(with_activity(SELECTION, objection=relative))

    assert at(findings, "activities", SELECTION, "objection", "absolute") == [
        "art. 21(2)-(3): an objection to direct marketing is absolute (L15)"
    ]


def test_l67_legitimate_interest_processing_allows_objection() -> None:
    findings = check_policy(with_activity(SELECTION, objection=Objection(possible=False)))

    assert (
        "must allow objection" in at(findings, "activities", SELECTION, "objection", "possible")[0]
    )


def test_an_absolute_objection_must_be_possible() -> None:
    impossible = Objection(possible=False, absolute=True)

    findings = check_policy(with_activity(ACCOUNT, objection=impossible))

    assert at(findings, "activities", ACCOUNT, "objection", "absolute") == [
        "an absolute objection that is not possible"
    ]


def test_art21_4_a_possible_objection_says_how() -> None:
    silent = Objection(possible=True, absolute=True)

    findings = check_policy(with_activity(SELECTION, objection=silent))

    assert "art. 21(4)" in at(findings, "activities", SELECTION, "objection", "how")[0]


def test_l11_a_consent_block_on_another_legal_basis_is_refused() -> None:
    consent = Consent(
        request=TEXT, withdraw=TEXT, channels=(WithdrawalChannel.ACCOUNT_PREFERENCES,)
    )

    findings = check_policy(with_activity(ACCOUNT, consent=consent))

    assert "based on contract" in at(findings, "activities", ACCOUNT, "consent")[0]


def test_a_legitimate_interest_statement_on_another_basis_is_refused() -> None:
    findings = check_policy(with_activity(ACCOUNT, legitimate_interest=TEXT))

    assert "based on contract" in at(findings, "activities", ACCOUNT, "legitimate_interest")[0]


def test_l34_a_legal_hold_names_a_category_of_the_activity() -> None:
    hold = LegalHold(period=Period(years=7), ground=TEXT, categories=("preferences", "invoices"))
    retention = BASE.activities[ACCOUNT].retention.model_copy(update={"legal_holds": (hold,)})

    findings = check_policy(with_activity(ACCOUNT, retention=retention))

    where = ("activities", ACCOUNT, "retention", "legal_holds", 0, "categories")
    assert at(findings, *where, 0) == [
        "'preferences' is not one of this activity's data categories"
    ]
    assert at(findings, *where, 1) == ["unknown data category 'invoices'"]


def test_l23_minimising_after_deletion_is_reported_as_never_happening() -> None:
    retention = Retention(
        starts=RetentionStart.COLLECTION,
        period=Period(days=30),
        minimise=(Minimisation(after=Period(days=90), categories=("email_address",), method=TEXT),),
    )

    findings = check_policy(with_activity(ACCOUNT, retention=retention))

    assert at(findings, "activities", ACCOUNT, "retention", "minimise", 0, "after") == [
        "minimising after P90D never happens: the records are deleted after P30D"
    ]


@pytest.mark.parametrize(
    ("changes", "location", "problem"),
    [
        pytest.param(
            {"fides_data_use": "marketing.email"},
            ("fides_data_use",),
            "unknown fideslang data use 'marketing.email'",
            id="fides-data-use",
        ),
        pytest.param(
            {"data_subjects": ("dpv:Customers",)},
            ("data_subjects", 0),
            "unknown DPV data subject 'dpv:Customers' (did you mean 'dpv:Customer'?)",
            id="data-subject",
        ),
        pytest.param(
            {"purposes": ("dpv:WebsiteAnalytics",)},
            ("purposes", 0),
            "unknown DPV purpose 'dpv:WebsiteAnalytics'",
            id="not-a-dpv-2-term",
        ),
    ],
)
def test_activity_terms_come_from_their_vocabulary(
    changes: dict[str, Any], location: tuple[str | int, ...], problem: str
) -> None:
    findings = check_policy(with_activity(ACCOUNT, **changes))

    assert problem in at(findings, "activities", ACCOUNT, *location)[0]


def test_a_catalogue_fides_key_comes_from_fideslang() -> None:
    category = BASE.data_categories[0].model_copy(update={"fides": "user.fullname"})
    categories = (category, *BASE.data_categories[1:])

    findings = check_policy(BASE.model_copy(update={"data_categories": categories}))

    assert (
        "unknown fideslang data category 'user.fullname'"
        in at(findings, "data_categories", 0, "fides")[0]
    )


def test_every_promise_must_be_kept_by_an_activity() -> None:
    promises = tuple(p for p in BASE.activities[ACCOUNT].promises if p != "P18")

    findings = check_policy(with_activity(ACCOUNT, promises=promises))

    assert at(findings, "activities") == [
        "promise P18 (Not meant for persons under 16; their data is deleted) is kept by no activity"
    ]


def test_p19_and_p21_are_kept_by_the_policy_and_controller_blocks() -> None:
    named = {p for a in BASE.activities for p in a.promises}

    assert set(PROMISES_MET_BY_POLICY_BLOCKS) == {"P19", "P21"}
    assert named.isdisjoint(PROMISES_MET_BY_POLICY_BLOCKS)
    assert check_policy(BASE) == []


def test_another_provider_checks_against_its_own_promise_register() -> None:
    register = {"P1": "Accounts", "P4": "Newsletter", "P9": "Something not yet kept"}
    policy = with_activity(ACCOUNT, promises=("P1",))

    findings = check_policy(policy, promises=register)

    assert [f.message for f in findings] == [
        "promise P9 (Something not yet kept) is kept by no activity"
    ]


def test_known_promises_are_p1_to_p22_of_promises_md() -> None:
    assert list(KNOWN_PROMISES) == [f"P{n}" for n in range(1, 23)]


def test_the_fideslang_vocabulary_matches_the_installed_taxonomy() -> None:
    from fideslang.default_taxonomy import DEFAULT_TAXONOMY

    assert {c.fides_key for c in DEFAULT_TAXONOMY.data_category} == FIDES_DATA_CATEGORIES
    assert {u.fides_key for u in DEFAULT_TAXONOMY.data_use} == FIDES_DATA_USES


def test_dpv_purposes_are_namespaced_and_website_analytics_is_service_usage_analytics() -> None:
    # DPV 2.0 has no WebsiteAnalytics purpose; ServiceUsageAnalytics is the real term
    assert all(term.startswith("dpv:") for term in DPV_PURPOSES)
    assert "dpv:ServiceUsageAnalytics" in DPV_PURPOSES
    assert "dpv:WebsiteAnalytics" not in DPV_PURPOSES
