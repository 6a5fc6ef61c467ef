"""Consent receipts (issue 10 item 1, L7): each ledger record as a Kantara Consent Receipt
v1.1 and as an ISO/IEC TS 27560 record, both valid against the JSON Schemas written from the
published field lists; a receipt with a field missing fails, so the schemas can fail."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from tests.factories import customer

from privaat.bootstrap import Context
from privaat.domain.principal import DataSubject
from privaat.policy.schema import consent_text_sha256
from privaat.services.consent_receipts import ReceiptFormat, json_schema
from privaat.services.consents import ConsentMethod, ConsentRecordNotFound, Evidence
from privaat.services.errors import Conflict

WEB = Evidence(ip="145.97.12.34", user_agent="Mozilla/5.0")


def validate(receipt: dict[str, Any], fmt: ReceiptFormat) -> None:
    schema = json_schema(fmt)
    Draft202012Validator.check_schema(schema)
    Draft202012Validator(schema, format_checker=FormatChecker()).validate(receipt)


def receipts(services: Context, activity: str = "group_transfer") -> tuple[int, int, int]:
    """A customer who gave and then withdrew ``activity``: (subject, give id, withdrawal id)."""
    jan = customer(services)
    with services.unit_of_work() as uow:
        given = services.consents.give(
            uow,
            jan.principal,
            jan.subject_id,
            activity,
            lang="en",
            method=ConsentMethod.SIGN_UP,
            evidence=WEB,
        )
    with services.unit_of_work() as uow:
        withdrawn = services.consents.withdraw(
            uow,
            jan.principal,
            jan.subject_id,
            activity,
            method=ConsentMethod.EMAIL_LINK,
            evidence=WEB,
        )
    return jan.subject_id, given.id, withdrawn.id


def receipt(services: Context, subject_id: int, record_id: int, fmt: ReceiptFormat) -> Any:
    with services.unit_of_work() as uow:
        return services.consents.receipt(uow, DataSubject(subject_id), subject_id, record_id, fmt)


def test_p13_a_kantara_receipt_of_a_consent_given_fits_the_v1_1_field_list(
    services: Context,
) -> None:
    subject_id, given_id, _ = receipts(services)
    kantara = receipt(services, subject_id, given_id, ReceiptFormat.KANTARA)
    validate(kantara, ReceiptFormat.KANTARA)
    assert kantara["version"] == "KI-CR-v1.1.0"
    assert kantara["jurisdiction"] == "NL" and kantara["language"] == "en"
    assert kantara["collectionMethod"] == "sign-up form"
    assert kantara["piiControllers"][0]["piiController"] == "Flexibelt"
    assert kantara["policyUrl"].endswith("/privacy/v/1")
    (purpose,) = kantara["services"][0]["purposes"]
    assert purpose["consentType"] == "EXPLICIT"
    # P13: the group transfer names the group company it discloses to
    assert purpose["thirdPartyDisclosure"] is True and purpose["thirdPartyName"]
    # the pseudonym, never the e-mail address or the database key
    assert len(kantara["piiPrincipalId"]) == 32 and "@" not in kantara["piiPrincipalId"]


def test_an_iso_27560_record_of_a_give_and_of_a_withdrawal_fit_the_schema(
    services: Context,
) -> None:
    subject_id, given_id, withdrawn_id = receipts(services)
    given = receipt(services, subject_id, given_id, ReceiptFormat.ISO_27560)
    validate(given, ReceiptFormat.ISO_27560)
    request = services.policy.activity("group_transfer").consent
    assert request is not None
    assert given["notice"]["text_hash"]["value"] == consent_text_sha256(request.request.en)
    assert given["event"][0]["event_type"] == "consent_given"
    assert given["event"][0]["event_state"] == "active"
    withdrawn = receipt(services, subject_id, withdrawn_id, ReceiptFormat.ISO_27560)
    validate(withdrawn, ReceiptFormat.ISO_27560)
    assert withdrawn["event"][0]["event_type"] == "consent_withdrawn"
    assert withdrawn["event"][0]["collection_method"] == "e-mail link"
    assert withdrawn["record_id"] != given["record_id"]


def test_a_kantara_receipt_of_a_withdrawal_is_refused_for_the_iso_record(
    services: Context,
) -> None:
    subject_id, _, withdrawn_id = receipts(services)
    with pytest.raises(Conflict, match="iso27560"):
        receipt(services, subject_id, withdrawn_id, ReceiptFormat.KANTARA)


def test_receipt_ids_are_stable_for_the_same_record(services: Context) -> None:
    subject_id, given_id, _ = receipts(services)
    first = receipt(services, subject_id, given_id, ReceiptFormat.KANTARA)
    second = receipt(services, subject_id, given_id, ReceiptFormat.KANTARA)
    assert first["consentReceiptID"] == second["consentReceiptID"]


@pytest.mark.parametrize(
    ("fmt", "path"),
    [
        (ReceiptFormat.KANTARA, ("consentTimestamp",)),
        (ReceiptFormat.KANTARA, ("piiPrincipalId",)),
        (ReceiptFormat.KANTARA, ("piiControllers", 0, "email")),
        (ReceiptFormat.KANTARA, ("services", 0, "purposes", 0, "termination")),
        (ReceiptFormat.ISO_27560, ("record_id",)),
        (ReceiptFormat.ISO_27560, ("notice", "text_hash")),
        (ReceiptFormat.ISO_27560, ("event", 0, "event_time")),
    ],
)
def test_a_receipt_with_a_field_missing_fails_validation(
    services: Context, fmt: ReceiptFormat, path: tuple[str | int, ...]
) -> None:
    subject_id, given_id, _ = receipts(services)
    broken = copy.deepcopy(receipt(services, subject_id, given_id, fmt))
    holder: Any = broken
    for step in path[:-1]:
        holder = holder[step]
    del holder[path[-1]]
    with pytest.raises(ValidationError):
        validate(broken, fmt)


def test_a_receipt_with_an_unknown_field_or_a_bad_hash_fails_validation(
    services: Context,
) -> None:
    subject_id, given_id, _ = receipts(services)
    kantara = receipt(services, subject_id, given_id, ReceiptFormat.KANTARA)
    with pytest.raises(ValidationError):
        validate({**kantara, "consentStatus": "given"}, ReceiptFormat.KANTARA)
    iso = copy.deepcopy(receipt(services, subject_id, given_id, ReceiptFormat.ISO_27560))
    iso["notice"]["text_hash"]["value"] = "not-a-hash"
    with pytest.raises(ValidationError):
        validate(iso, ReceiptFormat.ISO_27560)


def test_another_persons_record_is_not_found(services: Context) -> None:
    _, given_id, _ = receipts(services)
    piet = customer(services)
    with pytest.raises(ConsentRecordNotFound):
        receipt(services, piet.subject_id, given_id, ReceiptFormat.KANTARA)


def test_a_record_of_an_activity_the_policy_dropped_is_a_conflict_naming_its_version() -> None:
    from datetime import UTC, datetime
    from pathlib import Path

    from privaat.policy.loader import load_policy_file
    from privaat.services.consent_receipts import build
    from privaat.services.consents import ConsentRecord

    policy = load_policy_file(Path(__file__).parents[3] / "policies" / "flexibelt.yaml")
    record = ConsentRecord(
        id=7,
        activity="retired_newsletter",
        given=True,
        at=datetime(2026, 1, 2, tzinfo=UTC),
        method=ConsentMethod.PRIVACY_CENTRE,
        policy_version=3,
        consent_version=1,
        text_sha256="c" * 64,
        lang="nl",
        expires_at=None,
    )
    for fmt in ReceiptFormat:
        with pytest.raises(Conflict, match="/privacy/v/3"):
            build(fmt, record, policy=policy, principal_id="p" * 32)
