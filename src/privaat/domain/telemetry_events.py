"""The telemetry event kinds and their schemas (issue 12 item 1; P6, P15; LEGAL L20, L21, L24).

    kind           activity (policy)          what an event may hold (L20: only these)
    voip_sync      voip_sync_telemetry        ip, device, network, crash_log, precise_location
    app_analytics  app_hosting_analytics      ip (for coarse location only, never stored),
                                              app, device, feature, language, crash_log,
                                              precise_location
    service_login  security_logging (time,     service (server, webmail, pbx), outcome, ip;
                   outcome) and                the ip and the coarse place derived from it
                   datacenter_login_location   only under datacenter_login_location (P9,
                   (ip, place)                 L35): an objection to it keeps time and outcome

Every event names its subject by the subject's pseudonym (``subjects.pseudonym``: never an
account id or an e-mail address) and carries the sender's ``event_id`` (a UUID), which is the
idempotency key: unique per sending service, so a retried batch stores nothing twice.

The models refuse unknown fields (``extra="forbid"``) and coerce nothing (``strict``): a
wrong type is named, never guessed at. An advertising identifier (IDFA, GAID, ...) is not a
field of any kind; an event carrying one is *refused* with its own reason (L24, Tw 11.7a(3)(b)),
so the sending app is fixed instead of its identifiers silently piling up at the sender.
A precise location is accepted in the schema but stored only for a person who consented to
``device_precise_location`` (L21); otherwise it is dropped and the event is stored with the
coarse location derived from the IP.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema

__all__ = [
    "AD_ID_FIELDS",
    "KINDS",
    "MAX_CRASH_LOG",
    "PRECISE_LOCATION",
    "PSEUDONYM",
    "SERVICE_LOGIN_LOCATION",
    "AppAnalyticsEvent",
    "Device",
    "EventKind",
    "IpAddress",
    "PreciseLocation",
    "ServiceLoginEvent",
    "TelemetryEvent",
    "VoipSyncEvent",
]

PSEUDONYM = r"^[0-9a-f]{32}$"  # subjects.pseudonym: secrets.token_hex(16)
MAX_CRASH_LOG = 32_768  # characters of one crash log
PRECISE_LOCATION = "device_precise_location"  # the consent activity of L21
SERVICE_LOGIN_LOCATION = "datacenter_login_location"  # P9: where a service log-in came from
# L24: names under which apps send advertising identifiers; an event with one is refused
AD_ID_FIELDS = frozenset(
    {"advertising_id", "ad_id", "adid", "idfa", "gaid", "aaid", "ifa", "idfv", "oaid"}
)

_Short = Annotated[str, Field(min_length=1, max_length=64)]


def _address(value: object) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    # pydantic's IPvAnyAddress takes false for 0.0.0.0 and an int for an address: only text
    if not isinstance(value, str) or len(value) > 45:
        raise ValueError("an IP address is a string (IPv4 or IPv6)")
    return _parsed(value)


@lru_cache(maxsize=65_536)
def _parsed(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    # parsing costs ~5 us; a device sends from the same address again and again
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise ValueError("not an IPv4 or IPv6 address") from None


IpAddress = Annotated[
    ipaddress.IPv4Address | ipaddress.IPv6Address,
    PlainValidator(_address),
    WithJsonSchema({"type": "string", "anyOf": [{"format": "ipv4"}, {"format": "ipv6"}]}),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Device(_Strict):
    """Device details (category device_information): make and software, no serial numbers."""

    model: _Short
    os: _Short | None = None
    firmware: _Short | None = None


class PreciseLocation(_Strict):
    """A GPS-grade position: stored only under the ``device_precise_location`` consent (L21)."""

    latitude: Annotated[float, Field(ge=-90, le=90)]
    longitude: Annotated[float, Field(ge=-180, le=180)]
    accuracy_m: Annotated[float, Field(ge=0, le=100_000)] | None = None


class _Event(_Strict):
    # strict mode takes a UUID, an address and a time from JSON strings (pydantic's JSON mode)
    event_id: UUID = Field(description="The sender's idempotency key, unique per service.")
    subject: str = Field(pattern=PSEUDONYM, description="The subject's pseudonym.")
    at: AwareDatetime = Field(description="When it happened on the device (RFC 3339).")
    crash_log: Annotated[str, Field(max_length=MAX_CRASH_LOG)] | None = Field(
        default=None, description="Scrubbed before storage (L20)."
    )
    precise_location: PreciseLocation | None = Field(
        default=None, description="Stored only with the person's consent (L21)."
    )


class VoipSyncEvent(_Event):
    """A VoIP device's synchronisation (activity voip_sync_telemetry, P6)."""

    ip: IpAddress
    device: Device
    network: Literal["wifi", "ethernet", "cellular", "other"]


class AppAnalyticsEvent(_Event):
    """A first-party app or webhosting statistic (activity app_hosting_analytics, P15)."""

    ip: IpAddress | None = Field(
        default=None, description="Used for a coarse location only; never stored."
    )
    app: _Short
    app_version: Annotated[str, Field(min_length=1, max_length=32)]
    device: Device
    feature: _Short = Field(description="The feature used (usage_data).")
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")] | None = None


class ServiceLoginEvent(_Strict):
    """A log-in to a service in the datacenter: a hosted server, webmail or the PBX (P9).

    Its time, service and outcome are the security log's (security_logging); its IP and the
    place derived from it are stored only under datacenter_login_location (L35)."""

    event_id: UUID = Field(description="The sender's idempotency key, unique per service.")
    subject: str = Field(pattern=PSEUDONYM, description="The subject's pseudonym.")
    at: AwareDatetime = Field(description="When the log-in happened (RFC 3339).")
    service: Literal["server", "webmail", "pbx"]
    outcome: Literal["success", "failure"]
    ip: IpAddress = Field(description="Full for the troubleshooting window, then /24 or /48.")


TelemetryEvent = VoipSyncEvent | AppAnalyticsEvent | ServiceLoginEvent


@dataclass(frozen=True, slots=True)
class EventKind:
    """A kind of event: its path segment, its schema and the policy activity it serves."""

    name: str
    activity: str
    model: type[VoipSyncEvent] | type[AppAnalyticsEvent] | type[ServiceLoginEvent]
    stores_ip: bool  # whether the policy lists ip_address for the activity (L20, L23)
    # a second activity for part of the event (the IP and place of a service log-in), its
    # columns left empty when the guard refuses it (an objection): the rest is still stored
    located: str | None = None


KINDS: dict[str, EventKind] = {
    kind.name: kind
    for kind in (
        EventKind("voip_sync", "voip_sync_telemetry", VoipSyncEvent, stores_ip=True),
        EventKind("app_analytics", "app_hosting_analytics", AppAnalyticsEvent, stores_ip=False),
        EventKind(
            "service_login",
            "security_logging",
            ServiceLoginEvent,
            stores_ip=True,
            located=SERVICE_LOGIN_LOCATION,
        ),
    )
}
