"""Cross-checks of a whole policy, on typed policies built from the minimal fixture."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from privaat.policy.loader import PolicyError, load_policy
from privaat.policy.period import Period
from privaat.policy.schema import (
    Channel,
    Consent,
    Cookie,
    DataProtectionOfficer,
    DataSource,
    DpiaCriterion,
    DpiaScreening,
    LegalBasis,
    LegalHold,
    Minimisation,
    Objection,
    Policy,
    PolicyBlock,
    Promise,
    Recipient,
    RecipientRole,
    Retention,
    RetentionStart,
    Safeguard,
    Situation,
    Text,
    Transfer,
)
from privaat.policy.validate import Finding, check_policy, check_publication
from privaat.policy.vocab import DPV_PURPOSES, FIDES_DATA_CATEGORIES, FIDES_DATA_USES

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
    relative = Objection(possible=True, absolute=False, channels=(Channel.PRIVACY_EMAIL,))

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

    assert "art. 21(4)" in at(findings, "activities", SELECTION, "objection", "channels")[0]


def test_l11_a_consent_block_on_another_legal_basis_is_refused() -> None:
    consent = Consent(request=TEXT, channels=(Channel.ACCOUNT_PREFERENCES,))

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


def with_promises(*promises: Promise) -> Policy:
    return BASE.model_copy(update={"promises": promises})


def test_every_promise_of_the_files_catalogue_must_be_kept_by_an_activity() -> None:
    unkept = Promise(id="P4", summary="Orders are shipped by a carrier")

    findings = check_policy(with_promises(*BASE.promises, unkept))

    assert at(findings, "promises", 3) == [
        "promise P4 (Orders are shipped by a carrier) is kept by no activity: name it in the "
        "activities that keep it, or say which policy block does (met_by)"
    ]
    assert len(findings) == 1


def test_a_promise_met_by_a_policy_block_needs_no_activity() -> None:
    kept_by_controller = Promise(
        id="P4", summary="We are Voorbeeld B.V.", met_by=PolicyBlock.CONTROLLER
    )

    assert check_policy(with_promises(*BASE.promises, kept_by_controller)) == []


def test_promise_ids_are_checked_against_the_files_own_catalogue_not_another_providers() -> None:
    # the fixture's catalogue ends at P3: a P-id another provider's file defines is unknown here
    findings = check_policy(with_activity(ACCOUNT, promises=("P1", "P9")))

    assert at(findings, "activities", ACCOUNT, "promises", 1) == [
        "unknown promise 'P9' (known: P1–P3)"
    ]


def test_with_a_catalogue_every_activity_names_the_promises_it_keeps() -> None:
    findings = check_policy(with_activity(SELECTION, promises=()))

    assert at(findings, "activities", SELECTION, "promises") == [
        "name the promises this activity keeps (P1–P3)"
    ]


def test_a_policy_without_a_catalogue_is_valid_when_its_activities_name_no_promise() -> None:
    activities = tuple(a.model_copy(update={"promises": ()}) for a in BASE.activities)

    policy = BASE.model_copy(update={"promises": (), "activities": activities})

    assert check_policy(policy) == []


def test_a_policy_without_a_catalogue_cannot_name_promises() -> None:
    findings = check_policy(with_promises())

    assert at(findings, "activities", ACCOUNT, "promises", 0) == [
        "unknown promise 'P1': this policy has no promise catalogue (a top-level 'promises' list)"
    ]


def test_duplicate_promise_ids_point_at_the_first_one() -> None:
    twice = (*BASE.promises, BASE.promises[0])

    findings = check_policy(with_promises(*twice))

    assert findings == [
        Finding(("promises", 3, "id"), "duplicate id 'P1'", related=("promises", 0, "id"))
    ]


@pytest.mark.parametrize(
    "subjects",
    [
        pytest.param(("dpv:Visitor",), id="visitors"),
        pytest.param(("dpv:User",), id="users-of-a-customers-service"),
        pytest.param(("dpv:Visitor", "dpv:User"), id="visitors-and-users"),
    ],
)
def test_l88_contract_is_no_basis_toward_people_without_a_contract(
    subjects: tuple[str, ...],
) -> None:
    findings = check_policy(with_activity(ACCOUNT, data_subjects=subjects))

    (message,) = at(findings, "activities", ACCOUNT, "legal_basis")
    assert message.startswith("art. 6(1)(b): contract is a basis only toward a party")
    assert "L88" in message


def test_l88_contract_is_a_basis_when_a_party_to_the_contract_is_among_the_subjects() -> None:
    findings = check_policy(with_activity(ACCOUNT, data_subjects=("dpv:Customer", "dpv:Visitor")))

    assert findings == []


def test_l88_visitors_may_be_served_on_another_basis() -> None:
    # the same processing on a legitimate interest, stated and open to objection, is fine
    policy = with_activity(
        ACCOUNT,
        data_subjects=("dpv:Visitor",),
        legal_basis=LegalBasis.LEGITIMATE_INTEREST,
        legitimate_interest=TEXT,
        objection=Objection(possible=True, channels=(Channel.PRIVACY_EMAIL,)),
    )

    assert check_policy(policy) == []


@pytest.mark.parametrize(
    ("required", "problem"),
    [
        pytest.param("newsletter", None, id="a-consent-based-activity"),
        pytest.param(
            "newsletter_selection",
            "'newsletter_selection' is based on legitimate_interest, not consent: "
            "requires_consent_of names consent-based activities only",
            id="not-consent-based",
        ),
        pytest.param(
            "newsleter", "unknown activity 'newsleter' (did you mean 'newsletter'?)", id="unknown"
        ),
        pytest.param("account", "an activity cannot depend on consent to itself", id="itself"),
    ],
)
def test_l13_requires_consent_of_names_existing_consent_based_activities(
    required: str, problem: str | None
) -> None:
    # selecting who gets the newsletter runs only for those who opted in to it (L13)
    findings = check_policy(with_activity(ACCOUNT, requires_consent_of=(required,)))

    expected = [] if problem is None else [problem]
    assert at(findings, "activities", ACCOUNT, "requires_consent_of", 0) == expected
    assert len(findings) == len(expected)


def test_art21_an_objection_that_cannot_be_overridden_must_be_possible() -> None:
    findings = check_policy(
        with_activity(ACCOUNT, objection=Objection(possible=False, overridable=False))
    )

    assert at(findings, "activities", ACCOUNT, "objection", "overridable") == [
        "an objection that cannot be overridden, on an activity that allows no objection"
    ]


def test_art21_an_objection_that_cannot_be_overridden_is_fine_where_objection_is_possible() -> None:
    objection = Objection(
        possible=True, absolute=True, overridable=False, channels=(Channel.PRIVACY_EMAIL,)
    )

    assert check_policy(with_activity(SELECTION, objection=objection)) == []


def test_the_fideslang_vocabulary_matches_the_installed_taxonomy() -> None:
    from fideslang.default_taxonomy import DEFAULT_TAXONOMY

    assert {c.fides_key for c in DEFAULT_TAXONOMY.data_category} == FIDES_DATA_CATEGORIES
    assert {u.fides_key for u in DEFAULT_TAXONOMY.data_use} == FIDES_DATA_USES


def test_dpv_purposes_are_namespaced_and_website_analytics_is_service_usage_analytics() -> None:
    # DPV 2.0 has no WebsiteAnalytics purpose; ServiceUsageAnalytics is the real term
    assert all(term.startswith("dpv:") for term in DPV_PURPOSES)
    assert "dpv:ServiceUsageAnalytics" in DPV_PURPOSES
    assert "dpv:WebsiteAnalytics" not in DPV_PURPOSES


# --- issue 9: situations, cookies, retention scope, joint controllers, DPF, fallbacks ------

SITUATIONS = (
    Situation(id="becoming_customer", title=TEXT),
    Situation(id="using_services", title=TEXT),
)


def with_situations(*named: str | None) -> Policy:
    """The fixture with two situations, its activities naming ``named`` in order."""
    activities = tuple(
        activity.model_copy(update={"situation": situation})
        for activity, situation in zip(BASE.activities, named, strict=True)
    )
    return BASE.model_copy(update={"situations": SITUATIONS, "activities": activities})


def test_with_situations_every_activity_names_a_known_one() -> None:
    policy = with_situations("becoming_customer", "becoming_customer", "using_services")

    assert check_policy(policy) == []


def test_with_situations_an_activity_without_one_is_a_finding() -> None:
    findings = check_policy(with_situations("becoming_customer", None, "using_services"))

    assert at(findings, "activities", NEWSLETTER, "situation") == [
        "name the situation the statement describes this activity under "
        "(becoming_customer, using_services)"
    ]
    assert len(findings) == 1


def test_an_unknown_situation_is_a_finding_with_a_hint() -> None:
    findings = check_policy(with_situations("becoming_customer", "using_servces", "using_services"))

    assert at(findings, "activities", NEWSLETTER, "situation") == [
        "unknown situation 'using_servces' (did you mean 'using_services'?)"
    ]


def test_a_situation_in_a_policy_without_situations_is_unknown() -> None:
    findings = check_policy(with_activity(ACCOUNT, situation="buying"))

    assert "this policy has no situations" in at(findings, "activities", ACCOUNT, "situation")[0]


def test_a_situation_id_is_unique() -> None:
    twice = (*SITUATIONS, Situation(id="using_services", title=TEXT))
    named = with_situations("becoming_customer", "becoming_customer", "using_services")

    findings = check_policy(named.model_copy(update={"situations": twice}))

    assert findings == [
        Finding(
            ("situations", 2, "id"),
            "duplicate id 'using_services'",
            related=("situations", 1, "id"),
        )
    ]


def cookie(recipient: str | None = None, name: str = "_stats") -> Cookie:
    return Cookie(name=name, recipient=recipient, purpose=TEXT, lifetime=Period.parse("P1Y"))


@pytest.mark.parametrize(
    ("recipient", "problem"),
    [
        pytest.param(None, None, id="first-party"),
        pytest.param("mail_service", None, id="a-recipient-of-the-activity"),
        pytest.param(
            "mail_servce",
            "unknown recipient 'mail_servce' (did you mean 'mail_service'?)",
            id="unknown",
        ),
    ],
)
def test_tw_11_7a_a_cookies_third_party_is_a_known_recipient(
    recipient: str | None, problem: str | None
) -> None:
    findings = check_policy(with_activity(NEWSLETTER, cookies=(cookie(recipient),)))

    expected = [] if problem is None else [problem]
    assert at(findings, "activities", NEWSLETTER, "cookies", 0, "recipient") == expected
    assert len(findings) == len(expected)


def test_art13_1_e_a_cookies_third_party_is_one_of_the_activitys_recipients() -> None:
    # the account activity shares nothing, so a cookie read by the mailer is a hidden recipient
    findings = check_policy(with_activity(ACCOUNT, cookies=(cookie("mail_service"),)))

    assert at(findings, "activities", ACCOUNT, "cookies", 0, "recipient") == [
        "cookie of 'mail_service', not one of this activity's recipients (art. 13(1)(e))"
    ]


def test_a_cookie_is_listed_once_per_activity() -> None:
    findings = check_policy(with_activity(ACCOUNT, cookies=(cookie(), cookie())))

    assert at(findings, "activities", ACCOUNT, "cookies", 1, "name") == [
        "cookie '_stats' is listed twice"
    ]


@pytest.mark.parametrize(
    ("applies_to", "problem"),
    [
        pytest.param(("email_address",), None, id="one-of-its-categories"),
        pytest.param(
            ("preferences",),
            "'preferences' is not one of this activity's data categories",
            id="another-activitys-category",
        ),
        pytest.param(
            ("emial_address",),
            "unknown data category 'emial_address' (did you mean 'email_address'?)",
            id="unknown",
        ),
    ],
)
def test_a_retention_period_keeps_only_the_activitys_own_categories(
    applies_to: tuple[str, ...], problem: str | None
) -> None:
    retention = BASE.activities[ACCOUNT].retention.model_copy(update={"applies_to": applies_to})

    findings = check_policy(with_activity(ACCOUNT, retention=retention))

    expected = [] if problem is None else [problem]
    assert at(findings, "activities", ACCOUNT, "retention", "applies_to", 0) == expected


def joint(arrangement: Text | None, role: RecipientRole = RecipientRole.JOINT_CONTROLLER) -> Policy:
    network = Recipient(
        id="network",
        name="Netwerk Ltd.",
        role=role,
        description=TEXT,
        country="IE",
        safeguard=Safeguard.EEA,
        arrangement=arrangement,
    )
    return BASE.model_copy(update={"recipients": (*BASE.recipients, network)})


def test_l82_a_joint_controller_comes_with_its_arrangement() -> None:
    assert check_policy(joint(TEXT)) == []
    assert at(check_policy(joint(None)), "recipients", 1, "arrangement") == [
        "a joint controller: give the essence of the arrangement (art. 26(2))"
    ]


def test_an_arrangement_belongs_to_a_joint_controller_only() -> None:
    findings = check_policy(joint(TEXT, RecipientRole.CONTROLLER))

    assert at(findings, "recipients", 1, "arrangement") == [
        "an arrangement on a controller: only joint controllers make one (art. 26)"
    ]


def us_transfer(safeguard: Safeguard, fallback: Safeguard | None, country: str = "US") -> Policy:
    transfer = Transfer(
        recipient="mail_service", country=country, safeguard=safeguard, fallback=fallback
    )
    return with_activity(NEWSLETTER, transfers=(transfer,))


@pytest.mark.parametrize(
    ("safeguard", "fallback", "problem"),
    [
        pytest.param(Safeguard.DATA_PRIVACY_FRAMEWORK, Safeguard.SCC, None, id="dpf-then-scc"),
        pytest.param(Safeguard.DATA_PRIVACY_FRAMEWORK, None, None, id="dpf-alone"),
        pytest.param(
            Safeguard.SCC,
            Safeguard.SCC,
            "the fallback is the first safeguard again (scc): name another one, or none",
            id="fallback-is-the-same",
        ),
        pytest.param(
            Safeguard.DATA_PRIVACY_FRAMEWORK,
            Safeguard.ADEQUACY,
            "US has no general art. 45 adequacy decision: use 'scc' or 'bcr' (art. 46, L37)",
            id="fallback-that-does-not-hold",
        ),
    ],
)
def test_l37_a_transfers_fallback_is_another_safeguard_that_holds(
    safeguard: Safeguard, fallback: Safeguard | None, problem: str | None
) -> None:
    findings = check_policy(us_transfer(safeguard, fallback))

    expected = [] if problem is None else [problem]
    assert at(findings, "activities", NEWSLETTER, "transfers", 0, "fallback") == expected
    assert at(findings, "activities", NEWSLETTER, "transfers", 0, "safeguard") == []


@pytest.mark.parametrize("country", ["IN", "GB", "CA"])
def test_l37_the_data_privacy_framework_covers_us_importers_only(country: str) -> None:
    findings = check_policy(us_transfer(Safeguard.DATA_PRIVACY_FRAMEWORK, None, country))

    assert at(findings, "activities", NEWSLETTER, "transfers", 0, "safeguard") == [
        f"the EU-US Data Privacy Framework covers importers in the US only, not {country}: "
        "use 'adequacy', 'scc' or 'bcr' (art. 45-46, L37)"
    ]


def test_l37_a_recipient_on_the_dpf_outside_the_us_is_a_finding() -> None:
    findings = check_policy(
        with_recipient(country="JP", safeguard=Safeguard.DATA_PRIVACY_FRAMEWORK)
    )

    assert (
        "covers importers in the US only, not JP" in at(findings, "recipients", 0, "safeguard")[0]
    )


# --- issue 9: fit to publish (check_publication) -------------------------------------------


def test_the_minimal_policy_is_fit_to_publish() -> None:
    assert check_publication(BASE) == []


def test_l81_a_policy_without_a_dpo_statement_is_not_fit_to_publish() -> None:
    findings = check_publication(BASE.model_copy(update={"data_protection_officer": None}))

    assert findings == [
        Finding(
            ("data_protection_officer",),
            "say who the data protection officer is, or that none is appointed and why "
            "(art. 13(1)(b), 37)",
        )
    ]
    # consistent all the same: a test may build a policy without one
    assert check_policy(BASE.model_copy(update={"data_protection_officer": None})) == []


def test_l81_an_appointed_dpo_needs_a_name_and_an_address() -> None:
    with pytest.raises(ValidationError, match="art. 37"):
        DataProtectionOfficer(appointed=True, name="A. de Vries", assessment=TEXT)


@pytest.mark.parametrize(
    ("field", "index", "message"),
    [
        pytest.param(
            "register_description",
            ACCOUNT,
            "the register describes each activity in the third person: add "
            "register_description (art. 30(1))",
            id="l73-register-description",
        ),
        pytest.param(
            "security",
            NEWSLETTER,
            "name the security measures of this activity (art. 30(1)(g), 32)",
            id="art32-security",
        ),
        pytest.param(
            "lia",
            SELECTION,
            "name the legitimate interests assessment behind art. 6(1)(f) (art. 5(2); L32)",
            id="l75-lia",
        ),
        pytest.param(
            "requirement",
            ACCOUNT,
            "the person provides this data: say which of it is required and what happens "
            "without it (art. 13(2)(e))",
            id="l79-requirement",
        ),
    ],
)
def test_the_register_and_the_statement_need_their_texts(
    field: str, index: int, message: str
) -> None:
    findings = check_publication(with_activity(index, **{field: None}))

    assert findings == [Finding(("activities", index, field), message)]


def test_l79_no_requirement_is_asked_where_the_person_provides_nothing() -> None:
    observed = with_activity(ACCOUNT, requirement=None, sources=(DataSource.OBSERVED,))

    assert check_publication(observed) == []


def test_l89_an_activity_not_screened_against_the_dpia_list_is_a_finding() -> None:
    findings = check_publication(with_activity(ACCOUNT, dpia=DpiaScreening()))

    assert at(findings, "activities", ACCOUNT, "dpia") == [
        "screen the activity against the AP's DPIA list: the criteria met and the DPIA, "
        "or the outcome (art. 35(4))"
    ]


def test_l89_a_criterion_met_names_its_dpia() -> None:
    met = DpiaScreening(criteria=(DpiaCriterion.PROFILING,), reference="DPIA-2026-01")

    assert check_publication(with_activity(SELECTION, dpia=met)) == []
    with pytest.raises(ValidationError, match="name the DPIA"):
        DpiaScreening(criteria=(DpiaCriterion.PROFILING,))


def test_loading_for_publication_demands_the_dpo_statement() -> None:
    text = (Path(__file__).parent / "fixtures" / "minimal_policy.yaml").read_text("utf-8")
    start = text.index("data_protection_officer:")
    without = text[:start] + text[text.index("data_categories:") :]

    assert load_policy(without, publication=False).data_protection_officer is None
    with pytest.raises(PolicyError, match="data protection officer"):
        load_policy(without, publication=True)


def test_l75_an_lia_belongs_to_a_legitimate_interest_only() -> None:
    findings = check_policy(with_activity(ACCOUNT, lia="LIA-9"))

    assert at(findings, "activities", ACCOUNT, "lia") == [
        "a legitimate interests assessment on an activity based on contract"
    ]
    assert check_policy(with_activity(SELECTION, lia="LIA-9")) == []
