"""The double opt-in's link (issue 14 item 5; LEGAL L7, L13): a consent whose policy block sets
``confirm_by_email`` counts only once the person opens a link mailed to the account's address.

    give (centre, sign-up, API) ──▶ ledger: "requested" (no consent: the guard says no)
        └─ this module: a signed link to the address, valid for ``confirm_by_email``
    GET  /confirm/{token}  ──▶ a page with one button (a mail scanner spends nothing)
    POST /confirm/{token}  ──▶ Consents.confirm ──▶ ledger: "confirmed" (the give)

The link is a campaign-style token (``services.campaign_tokens``, kind ``k``): it names the
request's ledger row and its expiry under an HMAC, never the address or the person. It
confirms only the request it names and only while that request is the activity's newest
entry: a withdrawal, a newer request or a confirmation spends it, so an old link can never
bring back a consent the person withdrew. An unconfirmed request expires by itself: after
``confirm_by_email`` the link is refused and nothing was ever given.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from privaat.domain.principal import Principal
from privaat.mail.notices import Notice
from privaat.policy.schema import ProcessingActivity
from privaat.services.campaign_tokens import CampaignToken, TokenInvalid, TokenKind, read, sign
from privaat.services.errors import Conflict
from privaat.services.notifier import Notifier
from privaat.store.key_store import KeyStore

__all__ = ["ConsentConfirmations", "confirmation_path"]


def confirmation_path(token: str, lang: str) -> str:
    """The page of the link, relative to the site, in the language of the text asked: the
    mail carries the absolute URL."""
    return f"/confirm/{token}?lang={lang}"


class ConsentConfirmations:
    """Mails the link of a double opt-in request and reads it back."""

    def __init__(self, *, keys: KeyStore, notifier: Notifier, base_url: str) -> None:
        self._keys, self._notifier = keys, notifier
        self._base_url = base_url.rstrip("/")

    def send(
        self,
        connection: Connection,
        principal: Principal,
        subject_id: int,
        declared: ProcessingActivity,
        *,
        request_id: int,
        request: str,
        lang: str,
        expires_at: datetime,
    ) -> None:
        """Queue the link for request ``request_id`` in the caller's transaction; Conflict
        (and so nothing recorded) when there is no address it may go to. ``request`` is the
        text asked, in ``lang``: the mail quotes what the person is confirming."""
        index = self._keys.blind_index(connection)
        token = sign(index, CampaignToken(TokenKind.CONFIRM_CONSENT, request_id, expires_at))
        sent = self._notifier.notify(
            connection,
            principal,
            subject_id,
            Notice.CONFIRM_CONSENT,
            activity=declared.name.in_language(lang),
            request=request,
            until=f"{expires_at:%Y-%m-%d %H:%M} UTC",
            link=self._base_url + confirmation_path(token, lang),
        )
        if not sent:
            # a request nobody can confirm would only sit in the ledger: refuse it instead
            raise Conflict(
                f"'{declared.id}' is confirmed through a link mailed to your address, and "
                "there is no address we may write to now"
            )

    def request_of(self, connection: Connection, token: str, *, now: datetime) -> int:
        """The ledger row of the request ``token`` confirms; TokenInvalid for anything not
        ours or not a confirmation link, TokenExpired once the request has lapsed."""
        parsed = read(self._keys.blind_index(connection), token, now=now)
        if parsed.kind is not TokenKind.CONFIRM_CONSENT:
            raise TokenInvalid()
        return parsed.send_id
