"""Hosting customers' sites and their consent scopes (issue 14 item 7): pure rules.

    site file ──SiteFile──▶ one scope: the customer (a controller of its own), its privacy
                            statement, its domains and its banner categories
    Host header ──host_of──▶ a normalised domain, or None (malformed, an address): the
                             provider's own banner

A domain is compared in one spelling only: lower case, IDNA A-label, no trailing dot, no
port. Each domain belongs to at most one scope; the registry refuses the second claim
(``services.site_registry``), these rules refuse what can never be a domain.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from privaat.domain.tracker_scan import Declaration
from privaat.policy.schema import StorageKind

__all__ = [
    "LANGUAGES",
    "NECESSARY",
    "SiteCategory",
    "SiteFile",
    "SiteText",
    "host_of",
    "normalise_domain",
    "site_declarations",
]

LANGUAGES = ("nl", "en")  # every text of a site file, in both: the banner speaks either
NECESSARY = "necessary"  # the always-on category, privaat's own (the visitor cookie)
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")  # RFC 1123 §2.1, after IDNA
_PORT = re.compile(r"^[0-9]{1,5}$")
_MAX_DOMAIN = 253  # RFC 1035 §2.3.4, without the trailing dot


def normalise_domain(text: str) -> str:
    """The domain in its one spelling; ValueError saying what is wrong with it."""
    name = text.strip().lower().removesuffix(".")
    if not name:
        raise ValueError("a domain is needed, not an empty text")
    if ":" in name or "/" in name or "@" in name:
        raise ValueError(f"'{text}' is a domain name only: no scheme, port, path or user")
    if "*" in name:
        raise ValueError(f"'{text}': no wildcards; list each domain the site answers on")
    try:
        ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        raise ValueError(f"'{text}' is an IP address: a site is named by its domain")
    try:
        # IDNA 2003 as Python ships it: münchen.de → xn--mnchen-3ya.de
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"'{text}' is not a valid domain name") from None
    labels = ascii_name.split(".")
    if len(ascii_name) > _MAX_DOMAIN or not all(_LABEL.match(label) for label in labels):
        raise ValueError(f"'{text}' is not a valid domain name")
    if len(labels) < 2:
        raise ValueError(f"'{text}' has one label: a site's domain has at least two")
    if labels[-1].isdigit():
        raise ValueError(f"'{text}' ends in a number: not a domain name")
    return ascii_name


def host_of(header: str | None) -> str | None:
    """The domain a Host header names (RFC 9110 §7.2), or None when it names none."""
    if not header or len(header) > _MAX_DOMAIN + 6:
        return None
    text = header.strip()
    if text.startswith("["):  # an IPv6 literal: never a customer's site
        return None
    host, colon, port = text.rpartition(":")
    if not colon:
        host = text
    elif not _PORT.match(port):
        return None
    try:
        return normalise_domain(host)
    except ValueError:
        return None


_Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
_Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
_Paragraph = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SiteText(_Strict):
    """A text in Dutch and English."""

    nl: _Paragraph
    en: _Paragraph

    def in_language(self, lang: str) -> str:
        return self.en if lang == "en" else self.nl


class SiteCategory(_Strict):
    """One category the customer's banner asks: its purpose, companies and cookies."""

    id: _Id
    name: SiteText
    purpose: SiteText
    # the exact question next to the checkbox: the ledger keeps its SHA-256 (L86)
    request: SiteText
    companies: tuple[_Line, ...] = Field(default=(), max_length=50)
    cookies: tuple[
        # a cookie's name; "<…>" marks a variable part, matched by its prefix (as the policy's)
        Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.<>-]{1,100}$")], ...
    ] = Field(default=(), max_length=100)

    @field_validator("id")
    @classmethod
    def _not_necessary(cls, value: str) -> str:
        if value == NECESSARY:
            raise ValueError("'necessary' is the always-on category, not one to ask")
        return value


class SiteFile(_Strict):
    """A hosting customer's site file: one consent scope (docs/customer-sites.md)."""

    customer: _Id
    name: _Line
    privacy_url: Annotated[
        str, StringConstraints(pattern=r"^https?://[^\s\"'<>]+$", max_length=500)
    ]
    domains: tuple[str, ...] = Field(min_length=1, max_length=100)
    categories: tuple[SiteCategory, ...] = Field(min_length=1, max_length=32)

    @field_validator("domains")
    @classmethod
    def _domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        names, faults = [], []
        for text in value:
            try:
                names.append(normalise_domain(text))
            except ValueError as error:
                faults.append(str(error))
        if faults:
            raise ValueError("; ".join(faults))
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"listed twice: {', '.join(twice)}")
        return tuple(names)

    @field_validator("categories")
    @classmethod
    def _categories(cls, value: tuple[SiteCategory, ...]) -> tuple[SiteCategory, ...]:
        ids = [category.id for category in value]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"category ids listed twice: {', '.join(twice)}")
        return value

    def category(self, category_id: str) -> SiteCategory | None:
        return next((c for c in self.categories if c.id == category_id), None)


def site_declarations(site: SiteFile) -> tuple[Declaration, ...]:
    """The site file's cookie table in the tracker scan's terms, for the expiries a withdrawal
    sends from the server (issue 14 item 4): each category's cookies, as the policy's are."""
    return tuple(
        Declaration(name, category.id, f"site:{site.customer}", StorageKind.COOKIE, None)
        for category in site.categories
        for name in category.cookies
    )
