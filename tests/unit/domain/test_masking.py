"""Masking what a legal hold keeps (issue 15 item 2; L34): per strategy, hand-written
expectations of shape, and that the person's value is gone."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st
from stdnum import iban

from privaat.domain.masking import mask_value
from privaat.policy.stores import Mask


def keyed(text: str) -> bytes:
    return hmac.new(b"k" * 32, text.encode(), hashlib.sha256).digest()


def other_key(text: str) -> bytes:
    return hmac.new(b"o" * 32, text.encode(), hashlib.sha256).digest()


def test_an_iban_stays_a_valid_iban_of_its_country_and_bank() -> None:
    masked = mask_value(Mask.FORMAT_PRESERVING, "NL91ABNA0417164300", field="b.c.iban", keyed=keyed)
    assert iban.is_valid(masked) and masked != "NL91ABNA0417164300"
    assert masked.startswith("NL") and masked[4:8] == "ABNA" and len(masked) == 18
    spaced = mask_value(
        Mask.FORMAT_PRESERVING, "NL91 ABNA 0417 1643 00", field="b.c.iban", keyed=keyed
    )
    assert spaced.replace(" ", "") == masked and spaced.count(" ") == 4


def test_keyed_masks_are_equal_for_equal_values_and_differ_per_field_and_key() -> None:
    one = mask_value(Mask.KEYED_HASH, "bram@voorbeeld.nl", field="b.c.email", keyed=keyed)
    assert one == mask_value(Mask.KEYED_HASH, "bram@voorbeeld.nl", field="b.c.email", keyed=keyed)
    assert one.startswith("h:") and len(one) == 34 and "bram" not in one
    assert one != mask_value(Mask.KEYED_HASH, "bram@voorbeeld.nl", field="b.i.email", keyed=keyed)
    assert one != mask_value(
        Mask.KEYED_HASH, "bram@voorbeeld.nl", field="b.c.email", keyed=other_key
    )


def test_an_address_stays_an_address_and_other_text_keeps_its_shape() -> None:
    address = mask_value(Mask.FORMAT_PRESERVING, "Bram.V@voorbeeld.nl", field="f", keyed=keyed)
    local, domain = address.split("@")
    assert domain == "example.invalid" and len(local) == 6 and local[4] == "."
    postcode = mask_value(Mask.FORMAT_PRESERVING, "2721 NA", field="f", keyed=keyed)
    assert postcode[:4].isdigit() and postcode[4] == " " and postcode[5:].isupper()


def test_null_keep_and_random() -> None:
    assert mask_value(Mask.NULL, "Bram", field="f", keyed=keyed) is None
    assert mask_value(Mask.KEEP, 4750, field="f", keyed=keyed) == 4750
    assert mask_value(Mask.KEYED_HASH, None, field="f", keyed=keyed) is None
    random = mask_value(Mask.RANDOM, "Bram Visser", field="f", keyed=keyed)
    assert len(random) == len("Bram Visser") and random != "Bram Visser"


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_every_dutch_iban_masks_to_a_valid_one(account: str) -> None:
    body = "RABO" + account
    number = "NL" + iban.calc_check_digits("NL00" + body) + body
    masked = mask_value(Mask.FORMAT_PRESERVING, number, field="f", keyed=keyed)
    assert iban.is_valid(masked) and masked[4:8] == "RABO"
