"""A marketing mail as sent: the campaign's text, the footer that names the sender and offers
one-click unsubscribe (LEGAL L14), and in a person's first marketing mail the right to object,
in a paragraph of its own (GDPR art. 21(4), L16).

    campaign text (links as written)
      ├── tracking (engagement consent, L18) ─▶ each link replaced by a per-person redirect,
      │                                        an HTML alternative with a 1×1 open pixel
      └── no tracking ─────────────────────────▶ plain text only, the links as written
    + [first mail] "Your right to object …" {objection_url}
    + footer: sender, address, why this mail comes; unsubscribe {unsubscribe_url}
    headers: List-Unsubscribe: <url>, List-Unsubscribe-Post: List-Unsubscribe=One-Click

Nothing here is a security notice: those stay in ``mail.notices`` and carry none of this (L4).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from privaat.i18n import N_, translations
from privaat.mail.transport import OutgoingMail
from privaat.policy.schema import Controller

__all__ = [
    "LINK",
    "CampaignText",
    "Tracking",
    "campaign_links",
    "compose_marketing",
    "list_unsubscribe_headers",
]

# a URL in a campaign body: http(s), up to the first blank, quote or angle bracket
LINK = re.compile(r"https?://[^\s<>\"']+")
_TRAILING = ".,;:!?)"  # a sentence may end right after a link: not part of it

_OBJECTION = N_(
    "Your right to object: you may object at any time, free of charge, to the use of your data "
    "for direct marketing (art. 21 GDPR). If you object, we stop at once. Object in your "
    "privacy centre: {url}"
)
_SENDER = N_(
    "This e-mail is sent by {provider}, {address}, because you agreed to receive our "
    "marketing e-mail."
)
_UNSUBSCRIBE = N_("Unsubscribe with one click: {url}")


@dataclass(frozen=True, slots=True)
class CampaignText:
    """A campaign's subject line and body in one language."""

    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class Tracking:
    """The per-person addresses of a mail to someone with engagement consent (P11, L18)."""

    pixel_url: str
    link_urls: Sequence[str]  # the redirect for each campaign link, by its index


def campaign_links(bodies: Iterable[str]) -> list[str]:
    """Every distinct URL of the bodies, in order of first appearance."""
    found: list[str] = []
    for body in bodies:
        for match in LINK.finditer(body):
            url = match.group(0).rstrip(_TRAILING)
            if url not in found:
                found.append(url)
    return found


def list_unsubscribe_headers(url: str) -> tuple[tuple[str, str], ...]:
    """RFC 2369 §3.2 and RFC 8058 §3.1: the one-click unsubscribe a mail client can POST to."""
    return (
        ("List-Unsubscribe", f"<{url}>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
    )


def compose_marketing(
    *,
    to: str,
    text: CampaignText,
    lang: str,
    sender: Controller,
    links: Sequence[str],
    unsubscribe_url: str,
    objection_url: str,
    first: bool,
    tracking: Tracking | None,
) -> OutgoingMail:
    """The mail for one person: ``links`` are the campaign's, ``tracking`` None sends them as
    written and no pixel; ``first`` adds the right to object (art. 21(4))."""
    _ = translations(lang).gettext
    body = text.body if tracking is None else _replace_links(text.body, links, tracking.link_urls)
    address = sender.address
    paragraphs = [body.rstrip()]
    if first:
        paragraphs.append(_(_OBJECTION).format(url=objection_url))
    footer = "\n".join(
        (
            "-- ",  # RFC 3676 §4.3: the signature separator
            _(_SENDER).format(
                provider=sender.name,
                address=f"{address.street}, {address.postal_code} {address.city}",
            ),
            # the page answers in the mail's language; the header's address needs none
            _(_UNSUBSCRIBE).format(url=f"{unsubscribe_url}?lang={lang}"),
        )
    )
    plain = "\n\n".join([*paragraphs, footer]) + "\n"
    return OutgoingMail(
        to=to,
        subject=text.subject,
        body=plain,
        headers=list_unsubscribe_headers(unsubscribe_url),
        html=None if tracking is None else _html(plain, tracking.pixel_url),
    )


def _replace_links(body: str, links: Sequence[str], tracked: Sequence[str]) -> str:
    by_url = dict(zip(links, tracked, strict=True))

    def swap(match: re.Match[str]) -> str:
        raw = match.group(0)
        url = raw.rstrip(_TRAILING)
        return by_url.get(url, url) + raw[len(url) :]

    return LINK.sub(swap, body)


def _html(plain: str, pixel_url: str) -> str:
    """The same text as HTML paragraphs, its links clickable, and the open pixel at the end."""

    def anchor(match: re.Match[str]) -> str:
        raw = match.group(0)
        url = raw.rstrip(_TRAILING)
        return f'<a href="{url}">{url}</a>{raw[len(url) :]}'

    paragraphs = []
    for block in plain.split("\n\n"):
        linked = LINK.sub(anchor, html.escape(block, quote=True))
        paragraphs.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    pixel = f'<img src="{html.escape(pixel_url)}" width="1" height="1" alt="">'
    body = "\n".join(paragraphs)
    return f"<!doctype html>\n<html><body>\n{body}\n{pixel}\n</body></html>\n"
