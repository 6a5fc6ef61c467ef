"""The signed tokens of a campaign mail (issue 10 items 5-6): only ours, unaltered and unexpired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from privaat.services.campaign_tokens import (
    CampaignToken,
    TokenExpired,
    TokenInvalid,
    TokenKind,
    read,
    sign,
)
from privaat.store.crypto import BlindIndex

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
KEY = BlindIndex(b"k" * 32)
UNSUBSCRIBE = CampaignToken(TokenKind.UNSUBSCRIBE, 1234, NOW + timedelta(days=60))


def test_a_token_reads_back_as_what_was_signed() -> None:
    text = sign(KEY, UNSUBSCRIBE)
    back = read(KEY, text, now=NOW)
    assert (back.kind, back.send_id, back.link) == (TokenKind.UNSUBSCRIBE, 1234, None)
    assert back.expires_at == UNSUBSCRIBE.expires_at.replace(microsecond=0)
    assert len(text) < 80 and "@" not in text


def test_a_click_token_names_its_link() -> None:
    token = CampaignToken(TokenKind.CLICK, 7, NOW + timedelta(days=1), link=3)
    assert read(KEY, sign(KEY, token), now=NOW).link == 3


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda t: t.replace("u.", "o.", 1), id="other-kind"),
        pytest.param(
            lambda t: t.replace(".ya.", ".yb.", 1) if ".ya." in t else "u.yb" + t[4:],
            id="other-send",
        ),
        pytest.param(lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), id="mac"),
        pytest.param(lambda t: t + ".x", id="extra-part"),
        pytest.param(lambda t: t.rsplit(".", 1)[0], id="no-mac"),
        pytest.param(lambda t: "", id="empty"),
        pytest.param(lambda t: t * 4, id="too-long"),
    ],
)
def test_an_altered_or_forged_token_is_invalid(spoil: object) -> None:
    text = spoil(sign(KEY, UNSUBSCRIBE))  # type: ignore[operator]
    with pytest.raises(TokenInvalid):
        read(KEY, text, now=NOW)


def test_a_token_of_another_key_is_invalid() -> None:
    with pytest.raises(TokenInvalid):
        read(BlindIndex(b"o" * 32), sign(KEY, UNSUBSCRIBE), now=NOW)


def test_an_expired_token_says_so_and_carries_what_it_named() -> None:
    text = sign(KEY, UNSUBSCRIBE)
    with pytest.raises(TokenExpired) as caught:
        read(KEY, text, now=NOW + timedelta(days=60))
    assert caught.value.token.send_id == 1234
