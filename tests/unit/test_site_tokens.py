"""Issue 14 item 7: the carry token takes a choice to the same customer's other domains only.

Signed like the campaign tokens (HMAC under the blind-index key's sub-key): a token reads back
as issued; one forged, altered, cut, expired or of another scope is refused before anything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from privaat.services.site_tokens import (
    CARRY_LIFETIME,
    CarryToken,
    CarryTokenExpired,
    CarryTokenInvalid,
    OtherScope,
    for_scope,
    issue,
    read,
    sign,
)
from privaat.store.crypto import BlindIndex

NOW = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
KEY = BlindIndex(b"k" * 32)
TOKEN = CarryToken(7, 1234, "AAAAAAAAAAAAAAAAAAAAAA", NOW + timedelta(minutes=10))


def test_issue14_item7_a_carry_token_reads_back_as_it_was_signed() -> None:
    text = sign(KEY, TOKEN)
    # by hand: k . 7 . 1234 in base 36 ("ya") . the nonce . the expiry . a 22-character MAC
    assert text.startswith("k.7.ya.AAAAAAAAAAAAAAAAAAAAAA.")
    assert read(KEY, text, now=NOW) == TOKEN
    assert len(text) < 80


def test_issue14_item7_each_token_issued_has_a_nonce_of_its_own_and_ten_minutes() -> None:
    first, second = issue(7, 1234, now=NOW), issue(7, 1234, now=NOW)
    assert first.nonce != second.nonce and len(first.nonce) == 22
    assert first.expires_at == NOW + timedelta(minutes=10) == NOW + CARRY_LIFETIME


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda t: t.replace("k.7.", "k.8.", 1), id="other-scope-forged"),
        pytest.param(lambda t: t.replace(".ya.", ".yb.", 1), id="other-visitor"),
        pytest.param(lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), id="altered-mac"),
        pytest.param(lambda t: t.rsplit(".", 1)[0], id="cut"),
        pytest.param(lambda t: "u" + t[1:], id="other-kind"),
        pytest.param(lambda t: t + "." + "x" * 200, id="too-long"),
        pytest.param(lambda t: "", id="empty"),
    ],
)
def test_issue14_item7_a_forged_or_altered_token_is_invalid(spoil: object) -> None:
    text = spoil(sign(KEY, TOKEN))  # type: ignore[operator]
    with pytest.raises(CarryTokenInvalid):
        read(KEY, text, now=NOW)


def test_issue14_item7_a_token_signed_under_another_key_is_invalid() -> None:
    with pytest.raises(CarryTokenInvalid):
        read(BlindIndex(b"o" * 32), sign(KEY, TOKEN), now=NOW)


def test_issue14_item7_a_token_past_its_ten_minutes_has_expired() -> None:
    text = sign(KEY, TOKEN)
    assert read(KEY, text, now=NOW + timedelta(minutes=9, seconds=59)) == TOKEN
    with pytest.raises(CarryTokenExpired):
        read(KEY, text, now=NOW + timedelta(minutes=10))


def test_issue14_item7_a_token_of_another_customers_scope_is_never_crossed() -> None:
    assert for_scope(TOKEN, 7) == TOKEN
    with pytest.raises(OtherScope, match="another customer"):
        for_scope(TOKEN, 8)
