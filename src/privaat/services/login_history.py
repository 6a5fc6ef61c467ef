"""Where log-ins came from (P9, LEGAL L17, L23, L35), and the minimisation of their IPs.

Each log-in keeps two encrypted forms of its address: the full IP and its /24 or /48
network. When the policy's minimisation period for ``ip_address`` has passed, the full
form is erased and only the network remains.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from privaat.domain.activities import LOGIN_LOCATION
from privaat.domain.clock import Clock
from privaat.domain.principal import Principal
from privaat.mail.notices import UNKNOWN_LOCATION, Notice
from privaat.policy.period import Period
from privaat.policy.schema import Policy
from privaat.services.geo import GeoLocator, Location, truncate_ip
from privaat.services.notifier import Notifier
from privaat.services.subject_access import Operation, SubjectAccess
from privaat.store.tables import login_events
from privaat.store.unit_of_work import UnitOfWork

__all__ = ["LocationListener", "LoginHistory", "LoginView", "ip_minimisation_period"]

# called in the log-in's transaction with where it came from (country, city; never the IP):
# the marketing projection follows the newest location (P4, L17)
LocationListener = Callable[[Connection, Principal, int, Location], None]

IP_CATEGORY = "ip_address"
BATCH = 5_000  # rows per transaction: short write locks, a concurrent log-in never waits long


@dataclass(frozen=True, slots=True)
class LoginView:
    at: datetime
    ip: str  # the full address while the policy keeps it, then its /24 or /48 network
    country: str | None
    city: str | None
    new_device: bool


def ip_minimisation_period(policy: Policy) -> Period:
    """After how long a log-in's full IP address is truncated, as the policy declares it."""
    retention = policy.activity(LOGIN_LOCATION).retention
    for step in retention.minimise:
        if IP_CATEGORY in step.categories:
            return step.after
    return retention.period  # no earlier step: the full IP lives as long as the record


class LoginHistory:
    """Records each log-in's time, IP and offline-derived location; shows them to the holder."""

    activities = frozenset({LOGIN_LOCATION})

    def __init__(
        self,
        *,
        access: SubjectAccess,
        notifier: Notifier,
        geo: GeoLocator,
        policy: Policy,
        clock: Clock,
    ) -> None:
        self._access, self._notifier, self._geo = access, notifier, geo
        self._policy, self._clock = policy, clock
        self._listeners: list[LocationListener] = []

    def on_located(self, listener: LocationListener) -> None:
        """Call ``listener`` in the same transaction after every log-in recorded."""
        self._listeners.append(listener)

    def record(
        self,
        connection: Connection,
        principal: Principal,
        subject_id: int,
        *,
        ip: str,
        device_hash: bytes,
    ) -> None:
        """P9: time, IP and location, in the caller's transaction; a new device is told (P3).
        Nothing is recorded for a person who objected to it (art. 21): the log-in goes on."""
        opened = self._access.open_if_allowed(
            connection, principal, subject_id, LOGIN_LOCATION, operation=Operation.WRITE
        )
        if opened is None:
            return
        now = self._clock.now()
        location = self._geo.locate(ip)
        seen_before = connection.execute(
            select(login_events.c.id)
            .where(
                login_events.c.subject_id == subject_id, login_events.c.device_hash == device_hash
            )
            .limit(1)
        ).first()
        has_history = connection.execute(
            select(login_events.c.id).where(login_events.c.subject_id == subject_id).limit(1)
        ).first()
        new_device = seen_before is None
        cipher = opened.cipher
        connection.execute(
            login_events.insert().values(
                subject_id=subject_id,
                at=now,
                ip_enc=cipher.encrypt("login_events.ip", ip),
                ip_truncated_enc=cipher.encrypt("login_events.ip_truncated", truncate_ip(ip)),
                country_enc=cipher.encrypt_optional("login_events.country", location.country),
                city_enc=cipher.encrypt_optional("login_events.city", location.city),
                device_hash=device_hash,
                new_device=new_device,
            )
        )
        for listener in self._listeners:
            listener(connection, principal, subject_id, location)
        if new_device and has_history is not None:
            where = ", ".join(p for p in (location.city, location.country) if p)
            self._notifier.notify(
                connection,
                principal,
                subject_id,
                Notice.NEW_DEVICE_LOGIN,
                at=now.strftime("%Y-%m-%d %H:%M UTC"),
                where=where or UNKNOWN_LOCATION,
            )

    def recent(
        self, uow: UnitOfWork, principal: Principal, subject_id: int, *, limit: int = 20
    ) -> list[LoginView]:
        """The holder's own recent log-ins with their locations (P9; GDPR art. 15)."""
        with uow.reading() as connection:
            opened = self._access.open_if_allowed(connection, principal, subject_id, LOGIN_LOCATION)
            if opened is None:  # objected: the places stay shut (art. 21)
                return []
            events = connection.execute(
                select(login_events)
                .where(login_events.c.subject_id == subject_id)
                .order_by(login_events.c.at.desc(), login_events.c.id.desc())
                .limit(limit)
            ).all()
        cipher = opened.cipher
        return [
            LoginView(
                at=event.at,
                ip=cipher.decrypt("login_events.ip", event.ip_enc)
                if event.ip_enc is not None
                else cipher.decrypt("login_events.ip_truncated", event.ip_truncated_enc),
                country=cipher.decrypt_optional("login_events.country", event.country_enc),
                city=cipher.decrypt_optional("login_events.city", event.city_enc),
                new_device=event.new_device,
            )
            for event in events
        ]
