"""The processor register (L19: every vendor with its art. 28 agreement and transfer mechanism)
and the record of processing as a processor (L74, GDPR art. 30(2)), as plain data from the
policy file, and the policy check that refuses what they cannot state."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

import privaat.i18n  # noqa: F401  (puts the .po catalogues in use)
from privaat.policy.loader import load_policy_file
from privaat.policy.ropa import (
    ART_30_2_FIELDS,
    ProcessorRecordRow,
    processor_record,
    vendor_register,
)
from privaat.policy.schema import Policy, ProcessorService, RecipientRole
from privaat.policy.validate import check_policy
from privaat.settings import default_policy_file


@pytest.fixture(scope="module")
def shipped() -> Policy:
    return load_policy_file(default_policy_file())


def _with_services(policy: Policy, *services: dict[str, Any]) -> Policy:
    return policy.model_copy(
        update={"processor_services": tuple(ProcessorService.model_validate(s) for s in services)}
    )


def _service(**changes: Any) -> dict[str, Any]:
    service: dict[str, Any] = {
        "id": "backup",
        "name": {"nl": "Back-updienst", "en": "Backup service"},
        "description": {"nl": "Bewaart back-ups.", "en": "Keeps backups."},
        "controllers": {"nl": "Zakelijke klanten", "en": "Business customers"},
        "processing": [{"nl": "opslag", "en": "storage"}],
        "agreement": "DPA 2026-01",
        "security": {"nl": "Versleuteld.", "en": "Encrypted."},
    }
    service.update(changes)
    return service


# --- L19: the processor register --------------------------------------------------------------


def test_l19_every_vendor_the_seed_names_is_in_the_register(shipped: Policy) -> None:
    vendors = {row.recipient_id: row for row in vendor_register(shipped)}

    # Sisow, PayPal, Google, the mail cloud service, the carriers (the seed's vendors)
    assert {"sisow", "paypal", "google_analytics", "email_service", "carriers"} <= set(vendors)
    # authorities and a future successor are recipients, not vendors
    assert not {"police_and_justice", "courts", "belastingdienst", "successor"} & set(vendors)


def test_l19_every_processor_has_its_art_28_agreement_and_transfer_mechanism(
    shipped: Policy,
) -> None:
    vendors = {row.recipient_id: row for row in vendor_register(shipped)}
    processors = [r for r in shipped.recipients if r.role is RecipientRole.PROCESSOR]

    assert processors, "the shipped policy has processors"
    for recipient in processors:
        row = vendors[recipient.id]
        assert row.role == "processor"
        assert row.agreement == recipient.agreement
        assert row.transfers and row.country
    assert vendors["email_service"].agreement == (
        "Verwerkersovereenkomst (art. 28 AVG) met de e-maildienstverlener, 2026"
    )


def test_l19_a_transfer_names_country_safeguard_importer_and_fallback(shipped: Policy) -> None:
    google = next(r for r in vendor_register(shipped) if r.recipient_id == "google_analytics")

    assert google.transfers == (
        "Google Ireland Limited (Google Analytics, Google Search Console) to Google LLC (US): "
        "EU–US Data Privacy Framework: an adequacy decision of the European Commission for "
        "certified US companies (GDPR art. 45), falling back on standard contractual clauses "
        "of the European Commission (GDPR art. 46(2)(c))"
    )
    assert google.activities == "Website statistics (Google Analytics)"


def test_l19_an_independent_controller_needs_no_art_28_agreement_and_says_so(
    shipped: Policy,
) -> None:
    sisow = next(r for r in vendor_register(shipped, "nl") if r.recipient_id == "sisow")

    assert sisow.role == "zelfstandige verwerkingsverantwoordelijke"
    assert sisow.transfers == "NL: binnen de EER, geen doorgifte naar derde landen"
    assert "verwerkersovereenkomst" not in sisow.agreement.lower()
    assert sisow.agreement


def test_l19_the_check_refuses_a_processor_without_an_agreement(shipped: Policy) -> None:
    recipients = tuple(
        r.model_copy(update={"agreement": None}) if r.id == "email_service" else r
        for r in shipped.recipients
    )
    index = next(i for i, r in enumerate(recipients) if r.id == "email_service")

    findings = check_policy(shipped.model_copy(update={"recipients": recipients}))

    assert [(f.location, f.message) for f in findings] == [
        (
            ("recipients", index, "agreement"),
            "a processor works under an art. 28(3) agreement: name it (L19)",
        )
    ]


# --- L74: the record of a processor, art. 30(2) -----------------------------------------------


def test_l74_the_shipped_record_has_hosting_webmail_and_the_pbx(shipped: Policy) -> None:
    rows = processor_record(shipped)

    assert [row.service_id for row in rows] == ["hosting", "email", "pbx"]
    assert rows[2].service == "VoIP telephone exchange (PBX)"
    for row in rows:
        assert row.processor.startswith("Flexibelt; Oosterheemplein 2a, 2721 NA Zoetermeer, NL")
        assert row.agreement == "Verwerkersovereenkomst bij het hostingcontract (art. 28 AVG)"
        assert row.sub_processors == "none: no sub-processor is engaged"
        assert row.transfers == "no transfer to third countries"
        assert row.breach_notice == "without undue delay, at most 1 day after becoming aware"
        assert "biometric identification" in row.security_measures


def test_l74_every_art_30_2_field_is_filled_on_every_row(shipped: Policy) -> None:
    names = {field.name for field in dataclasses.fields(ProcessorRecordRow)}
    assert {name for name, _letter in ART_30_2_FIELDS} <= names
    assert [letter for _name, letter in ART_30_2_FIELDS] == ["a", "a", "a", "b", "c", "d"]
    for lang in ("nl", "en"):
        for row in processor_record(shipped, lang):
            assert all(getattr(row, name) for name in names), row


def test_l74_the_record_speaks_dutch(shipped: Policy) -> None:
    (hosting, *_rest) = processor_record(shipped, "nl")

    assert hosting.service == "Webhosting en servers"
    assert hosting.sub_processors == "geen: er is geen subverwerker ingeschakeld"
    assert hosting.breach_notice == (
        "zonder onredelijke vertraging, uiterlijk 1 dag nadat we ervan weten"
    )


def test_l74_a_policy_that_processes_for_nobody_has_an_empty_record(shipped: Policy) -> None:
    assert processor_record(shipped.model_copy(update={"processor_services": ()})) == []


def test_l74_a_sub_processor_with_a_us_transfer_is_in_both_registers(shipped: Policy) -> None:
    policy = _with_services(
        shipped,
        _service(
            sub_processors=["google_analytics"],
            transfers=[
                {"recipient": "google_analytics", "country": "US", "safeguard": "scc"},
            ],
            data_subjects=None,
            breach_notice="P2D",
        ),
    )

    assert check_policy(policy) == []
    (row,) = processor_record(policy)
    assert row.sub_processors == (
        "Google Ireland Limited (Google Analytics, Google Search Console) — "
        "Google Ads-verwerkersvoorwaarden (Google Ads Data Processing Terms), met SCC's"
    )
    assert row.transfers == (
        "Google Ireland Limited (Google Analytics, Google Search Console) (US): standard "
        "contractual clauses of the European Commission (GDPR art. 46(2)(c))"
    )
    assert row.data_subjects == "as the controller determines; not known to the processor"
    assert row.breach_notice == "without undue delay, at most 2 days after becoming aware"
    google = next(r for r in vendor_register(policy) if r.recipient_id == "google_analytics")
    assert google.processor_services == "Backup service"


def test_l74_the_check_refuses_a_sub_processor_that_is_no_processor(shipped: Policy) -> None:
    policy = _with_services(shipped, _service(sub_processors=["sisow", "nobody"]))

    messages = {f.location: f.message for f in check_policy(policy)}

    assert messages[("processor_services", 0, "sub_processors", 0)] == (
        "'sisow' is a controller, not a processor: a sub-processor works under an "
        "art. 28(4) agreement (L74)"
    )
    assert messages[("processor_services", 0, "sub_processors", 1)].startswith(
        "unknown recipient 'nobody'"
    )


def test_l74_the_check_refuses_a_transfer_without_a_lawful_safeguard(shipped: Policy) -> None:
    policy = _with_services(
        shipped,
        _service(
            sub_processors=["email_service"],
            transfers=[
                {"recipient": "email_service", "country": "IN", "safeguard": "eea"},
                {"recipient": "google_analytics", "country": "US", "safeguard": "dpf"},
            ],
        ),
    )

    messages = {f.location: f.message for f in check_policy(policy)}

    assert messages == {
        ("processor_services", 0, "transfers", 0, "safeguard"): (
            "IN is outside the EEA: safeguard 'eea' does not apply (L37)"
        ),
        ("processor_services", 0, "transfers", 1, "recipient"): (
            "transfer to 'google_analytics', not one of this service's sub_processors "
            "(art. 30(2)(c))"
        ),
    }


def test_l74_two_services_with_one_id_are_refused(shipped: Policy) -> None:
    policy = _with_services(shipped, _service(), _service())

    (finding,) = check_policy(policy)

    assert finding.location == ("processor_services", 1, "id")
    assert finding.message == "duplicate id 'backup'"


def test_l74_a_service_without_its_agreement_or_security_does_not_load() -> None:
    from pydantic import ValidationError

    for missing in ("agreement", "security", "controllers"):
        service = _service()
        del service[missing]
        with pytest.raises(ValidationError, match=missing):
            ProcessorService.model_validate(service)
