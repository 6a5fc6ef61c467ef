"""Settings, read from the environment (prefix ``PRIVAAT_``) by pydantic-settings."""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from privaat.domain.request_tasks import parse_four_eyes

_REPO_ROOT = Path(__file__).resolve().parents[2]


class Mode(StrEnum):
    DEMO = "demo"  # creates its own master key in var/ and seeds demo data
    PRODUCTION = "production"  # refuses to start without a configured master key
    TEST = "test"


def default_policy_file() -> Path:
    """The shipped Flexibelt policy: in a source checkout, or packaged inside the wheel."""
    in_checkout = _REPO_ROOT / "policies" / "flexibelt.yaml"
    if in_checkout.is_file():
        return in_checkout
    return Path(__file__).resolve().parent / "_policies" / "flexibelt.yaml"


class Settings(BaseSettings):
    """Everything an operator can configure; each field is documented in the README."""

    model_config = SettingsConfigDict(env_prefix="PRIVAAT_", extra="ignore")

    mode: Mode = Mode.DEMO
    database_url: str = Field(default="sqlite:///var/privaat.db")
    policy_file: Path = Field(default_factory=default_policy_file)
    # the list of erasures (pseudonyms only), a database apart from the data: replayed after
    # every restore (issue 16 item 7); default <var_dir>/erasures.db
    erasure_ledger_url: str | None = None
    # the stores outside privaat that access and erasure reach (issue 15; docs/stores.md)
    stores_file: Path | None = None
    # four-eyes approval (issue 15 item 4): the steps that run only after a second privacy
    # officer approved, comma-separated: erasure, access, portability, access_with_recordings
    four_eyes: str = ""
    # optional: an outside system asked before a four-eyes step is asked for; it answers
    # {"decision": "allow"} or {"decision": "deny", "reason": ...}, signed requests with the
    # secret (at least 16 bytes) as processor webhooks are
    approval_webhook_url: str | None = None
    approval_webhook_secret: SecretStr | None = None
    var_dir: Path = Path("var")
    # the master key wraps every per-subject data key: base64 of 32 bytes, or a file holding it
    master_key: SecretStr | None = None
    master_key_file: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str = "http://127.0.0.1:8000"
    # the reverse proxies whose X-Forwarded-For is believed: comma-separated addresses or
    # networks; empty, every caller is its own peer and nobody can pick another address
    forwarded_allow_ips: str = ""
    smtp_host: str | None = None
    smtp_port: int = 25
    mail_from: str = "privacy@localhost"
    support_address: str | None = None  # the support mailbox; default support@<privacy domain>
    # RFC 5321 §4.5.4.1: temporary refusals are retried with back-off until a message is
    # this old; a permanent refusal (5xx) gives it up at once
    mail_give_up_hours: int = Field(default=72, ge=1, le=24 * 30)
    # art. 13(3), L49: a material policy change is announced (e-mail, site notice) at least
    # this many days before it takes effect (``privaat policy publish``)
    policy_notice_days: int = Field(default=30, ge=0, le=365)
    # the optional built-in service: record where each log-in came from (P9); off, the
    # policy need not declare its activity
    record_login_locations: bool = True
    # the controller's calendar: the day a request is received and its due date (art. 12(3))
    time_zone: str = "Europe/Amsterdam"

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"not an IANA time zone: {value!r}") from None
        return value

    @field_validator("four_eyes")
    @classmethod
    def _four_eyes_rules(cls, value: str) -> str:
        parse_four_eyes(value)  # ValueError names the rule it does not know
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _addresses_or_networks(cls, value: str) -> str:
        # refused at start-up, not at the first request; "*" would trust every caller
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"not an IP address or network: {entry!r}") from None
        return ",".join(entries)
