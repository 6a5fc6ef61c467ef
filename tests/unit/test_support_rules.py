"""The support desk's pure rules (issue 12 item 2; P5, P7, LEGAL L5): when two addresses are
the same mailbox for linking, the reference in a reply's subject, serial numbers, purchase
dates and log files."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from privaat.domain.support_cases import (
    MAX_LOG_BYTES,
    CaseStatus,
    EventKind,
    PurchaseDateInvalid,
    check_purchase_date,
    find_reference,
    latest_today,
    same_address,
    status_after,
)
from privaat.services.errors import InvalidField
from privaat.services.support_desk import LogFile, check_log, check_serial
from privaat.store.crypto import BlindIndex


@pytest.mark.parametrize("given", ["jan@flexibelt.nl", "JAN@FLEXIBELT.NL", " Jan@Flexibelt.nl "])
def test_l5_ascii_case_is_the_same_mailbox(given: str) -> None:
    assert same_address(given, "jan@flexibelt.nl")


@pytest.mark.parametrize(
    "lookalike",
    [
        "jan@f1exibelt.nl",
        "jan@flexibeIt.nl",
        "jan@flеxibelt.nl",  # Cyrillic е
        "jan@ｆlexibelt.nl",  # fullwidth f
        "jan@\u212aflexibelt.nl",  # KELVIN SIGN
        "jan@flexibelt.nl.",
        "jan.@flexibelt.nl",
    ],
)
def test_l5_a_lookalike_is_another_address(lookalike: str) -> None:
    stored = "jan@kflexibelt.nl" if "\u212a" in lookalike else "jan@flexibelt.nl"
    assert not same_address(lookalike, stored)


def test_l5_the_kelvin_sign_is_caught_although_the_blind_index_matches() -> None:
    # str.lower() maps U+212A to "k": the index finds the account, the exact check refuses it
    index = BlindIndex(b"k" * 32)
    assert index.email("jan@\u212aflexibelt.nl") == index.email("jan@kflexibelt.nl")
    assert not same_address("jan@\u212aflexibelt.nl", "jan@kflexibelt.nl")


def test_p7_a_reply_names_its_case_in_the_subject() -> None:
    assert find_reference("Re: Storing [SC-7KQ2M9XD]") == "SC-7KQ2M9XD"
    assert find_reference("re: sc-7kq2m9xd") == "SC-7KQ2M9XD"
    assert find_reference("Re: PR-7KQ2M9XD") is None  # a privacy request's reference
    assert find_reference("SC-7KQ2M9X") is None  # too short
    assert find_reference("SC-7KQ2M9XDZ") is None  # too long


@pytest.mark.parametrize(
    ("given", "canonical"),
    [("fx-2024-00123", "FX-2024-00123"), (" AB12 ", "AB12"), ("ｆx-1234", "FX-1234")],
)
def test_p7_serial_numbers_are_canonical(given: str, canonical: str) -> None:
    assert check_serial(given) == canonical


@pytest.mark.parametrize(
    "bad", ["", "12", "FX 2024", "FX--2024", "-FX2024", "FX2024-", "FX☃2024", "A" * 33]
)
def test_p7_a_malformed_serial_is_refused(bad: str) -> None:
    with pytest.raises(InvalidField) as refused:
        check_serial(bad)
    assert refused.value.field == "serial"


def test_p7_a_purchase_date_is_not_in_the_future_nor_before_1990() -> None:
    today = date(2026, 12, 2)
    assert check_purchase_date(today, today) == today
    assert check_purchase_date(None, today) is None
    for bad in (date(2026, 12, 3), date(1989, 12, 31)):
        with pytest.raises(PurchaseDateInvalid):
            check_purchase_date(bad, today)


def test_p7_today_is_the_latest_date_on_earth() -> None:
    # 12:00 UTC on 2 December is already 3 December in Kiribati (UTC+14)
    assert latest_today(datetime(2026, 12, 2, 12, 0, tzinfo=UTC)) == date(2026, 12, 3)
    assert latest_today(datetime(2026, 12, 2, 9, 0, tzinfo=UTC)) == date(2026, 12, 2)


@pytest.mark.parametrize(
    ("before", "event", "after"),
    [
        pytest.param(CaseStatus.OPEN, EventKind.CLOSED, CaseStatus.CLOSED, id="close"),
        pytest.param(CaseStatus.CLOSED, EventKind.MESSAGE, CaseStatus.OPEN, id="person-writes"),
        pytest.param(CaseStatus.CLOSED, EventKind.NOTE, CaseStatus.CLOSED, id="note-keeps"),
        pytest.param(CaseStatus.OPEN, EventKind.REPLY, CaseStatus.OPEN, id="reply-keeps"),
        pytest.param(CaseStatus.CLOSED, EventKind.CLOSED, CaseStatus.CLOSED, id="close-twice"),
    ],
)
def test_p7_the_case_status_moves_only_by_its_transitions(
    before: CaseStatus, event: EventKind, after: CaseStatus
) -> None:
    assert status_after(before, event) is after


def test_p7_a_log_is_scrubbed_and_size_limited() -> None:
    name, text = check_log(
        LogFile(
            "sync.log",
            b"REGISTER sip:1001@pbx\nAuthorization: Digest response=abc\n"
            b"jan@example.nl +31 6 12345678\x1b[31m\n",
        )
    )
    assert name == "sync.log"
    assert "abc" not in text and "jan@example.nl" not in text and "12345678" not in text
    assert "\x1b" not in text
    with pytest.raises(InvalidField) as refused:
        check_log(LogFile("big.log", b"x" * (MAX_LOG_BYTES + 1)))
    assert refused.value.field == "log"
    with pytest.raises(InvalidField):
        check_log(LogFile("core.bin", b"\x7fELF\x00\x00"))
