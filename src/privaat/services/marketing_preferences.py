"""Marketing preferences (P4: topics, language, channels) and the marketing projection.

    get / update (subject)      ── the ``preferences`` document, encrypted per subject, read
                                   and written under ``account`` (the person's own settings)
    the projection              ── blind indexes of topics, channels, language, country and
                                   city in ``marketing_profiles`` / ``marketing_interests``,
                                   written in the same transaction as the change they follow
                                   and only while the guard allows ``marketing_selection``:
                                   someone who never consented is never profiled (L13)
    services (account)          ── the services on an account, encrypted + blind index

The offer (which topics and channels exist) comes from the policy's ``marketing`` section,
so a provider's own topics need no code. An unknown topic, channel or language is an
InvalidField naming it, and nothing is written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from privaat.domain.activities import ACCOUNT
from privaat.domain.clock import Clock
from privaat.domain.marketing import MarketingPreferences
from privaat.domain.principal import Principal, SystemJob
from privaat.policy.schema import MarketingChannel, MarketingChoice, Policy
from privaat.services.errors import InvalidField
from privaat.services.geo import Location
from privaat.services.subject_access import Opened, Operation, SubjectAccess
from privaat.store.crypto import BlindIndex
from privaat.store.key_store import KeyStore
from privaat.store.tables import login_events, preferences
from privaat.store.tables_marketing import (
    MARKETING_SELECTION,
    customer_services,
    marketing_interests,
    marketing_profiles,
)
from privaat.store.unit_of_work import UnitOfWork

__all__ = ["MAX_TOPICS", "Preferences", "blind_values"]

_DOCUMENT = "preferences.document"  # the field the ciphertext is bound to
_SERVICE = "customer_services.service"
MAX_TOPICS = 50
_PROJECTION = SystemJob("marketing_projection")


class blind_values:  # noqa: N801  (a namespace of the blind-index kinds, read as a noun)
    """The blind-index kind of each marketing attribute: one HKDF sub-key each, so a topic
    hash never equals a city hash of the same text (store.crypto)."""

    TOPIC = "mkt.topic"
    CHANNEL = "mkt.channel"
    LANGUAGE = "mkt.language"
    COUNTRY = "mkt.country"
    CITY = "mkt.city"
    SERVICE = "service"

    @staticmethod
    def city(index: BlindIndex, city: str) -> bytes:
        # cities are matched case-blind: "Den Haag" and "den haag" are one place
        return index.value(blind_values.CITY, city.strip().casefold())


class Preferences:
    """Reads and writes a person's marketing preferences, and keeps the projection in step."""

    activities = frozenset({ACCOUNT})

    def __init__(
        self, *, access: SubjectAccess, keys: KeyStore, policy: Policy, clock: Clock
    ) -> None:
        self._access, self._keys, self._policy, self._clock = access, keys, policy, clock
        offer = policy.marketing
        self.topics: tuple[MarketingChoice, ...] = offer.topics if offer else ()
        self.channels: tuple[MarketingChannel, ...] = offer.channels if offer else ()
        self.services: tuple[MarketingChoice, ...] = offer.services if offer else ()
        self._languages = tuple(policy.policy.languages)
        self._channel_activities = frozenset(c.activity for c in self.channels)

    @property
    def languages(self) -> tuple[str, ...]:
        return self._languages

    # --- preferences -------------------------------------------------------------------

    def get(self, uow: UnitOfWork, principal: Principal, subject_id: int) -> MarketingPreferences:
        """The person's preferences; never stated: no topics, the account's language, every
        channel (consent still decides whether anything is sent, L13)."""
        with uow.reading() as connection:
            opened = self._access.open(connection, principal, subject_id, ACCOUNT)
            return self._read(connection, opened)

    def update(
        self,
        uow: UnitOfWork,
        principal: Principal,
        subject_id: int,
        *,
        topics: Sequence[str],
        language: str,
        channels: Sequence[str],
    ) -> MarketingPreferences:
        """Replace the preferences (validated first: nothing is written on a fault)."""
        chosen = self.validated(topics=topics, language=language, channels=channels)
        with uow.writing() as connection:
            self._access.lock_subject(connection, subject_id)
            opened = self._access.open(
                connection, principal, subject_id, ACCOUNT, operation=Operation.WRITE
            )
            document = json.dumps(
                {
                    "topics": list(chosen.topics),
                    "language": chosen.language,
                    "channels": list(chosen.channels),
                },
                separators=(",", ":"),
            )
            blob = opened.cipher.encrypt(_DOCUMENT, document)
            now = self._access_now()
            changed = connection.execute(
                update(preferences)
                .where(preferences.c.subject_id == subject_id)
                .values(document_enc=blob, updated_at=now)
            ).rowcount
            if not changed:
                connection.execute(
                    insert(preferences).values(
                        subject_id=subject_id, document_enc=blob, updated_at=now
                    )
                )
            self._project(connection, principal, subject_id, chosen, location=None)
        return chosen

    def validated(
        self, *, topics: Sequence[str], language: str, channels: Sequence[str]
    ) -> MarketingPreferences:
        """The preferences in the policy's order, or InvalidField naming the fault."""
        offered_topics = [t.id for t in self.topics]
        offered_channels = [c.id for c in self.channels]
        if len(topics) > MAX_TOPICS:
            raise InvalidField("topics", f"more than {MAX_TOPICS} topics")
        for topic in topics:
            if topic not in offered_topics:
                raise InvalidField("topics", f"unknown topic '{topic[:64]}'")
        for channel in channels:
            if channel not in offered_channels:
                raise InvalidField("channels", f"unknown channel '{channel[:64]}'")
        if language not in self._languages:
            raise InvalidField(
                "language",
                f"'{language[:16]}' is not one of the policy's languages "
                f"({', '.join(self._languages)})",
            )
        return MarketingPreferences(
            topics=tuple(t for t in offered_topics if t in topics),
            language=language,
            channels=tuple(c for c in offered_channels if c in channels),
        )

    # --- services on the account -------------------------------------------------------

    def add_service(
        self,
        connection: Connection,
        principal: Principal,
        subject_id: int,
        service: str,
        *,
        since: datetime,
    ) -> None:
        """Record a service on the account (contract data) in the caller's transaction."""
        if service not in {s.id for s in self.services}:
            raise InvalidField("service", f"unknown service '{service[:64]}'")
        opened = self._access.open(
            connection, principal, subject_id, ACCOUNT, operation=Operation.WRITE
        )
        index = self._keys.blind_index(connection)
        connection.execute(
            insert(customer_services).values(
                subject_id=subject_id,
                service_bidx=index.value(blind_values.SERVICE, service),
                service_enc=opened.cipher.encrypt(_SERVICE, service),
                since=since,
            )
        )

    # --- the projection ----------------------------------------------------------------

    def login_located(
        self, connection: Connection, principal: Principal, subject_id: int, location: Location
    ) -> None:
        """A log-in was located (P9): the profile's country and city follow it, if the
        person may be selected for marketing at all."""
        opened = self._access.open_if_allowed(
            connection, principal, subject_id, MARKETING_SELECTION, operation=Operation.WRITE
        )
        if opened is None:
            return
        self._upsert_profile(connection, subject_id, location=location, language=None)

    def consent_changed(self, connection: Connection, opened: Opened, record: Any) -> None:
        """The consent ledger's listener: a marketing opt-in builds the projection from the
        stored preferences and the newest located log-in; a withdrawal removes it."""
        if record.activity not in self._channel_activities:
            return
        self.refresh(connection, _PROJECTION, opened.subject_id)

    def refresh(self, connection: Connection, principal: Principal, subject_id: int) -> None:
        """Rebuild the subject's projection (or remove it when the guard refuses selection)."""
        selection = self._access.open_if_allowed(
            connection, principal, subject_id, MARKETING_SELECTION, operation=Operation.WRITE
        )
        if selection is None:
            self._remove(connection, subject_id)
            return
        chosen = self._read(connection, selection)
        newest = connection.execute(
            select(login_events.c.country_enc, login_events.c.city_enc)
            .where(login_events.c.subject_id == subject_id)
            .order_by(login_events.c.at.desc(), login_events.c.id.desc())
            .limit(1)
        ).first()
        location = None
        if newest is not None:
            location = Location(
                country=selection.decrypt("login_events.country", newest.country_enc),
                city=selection.decrypt("login_events.city", newest.city_enc),
            )
        self._project(connection, principal, subject_id, chosen, location=location)

    def _project(
        self,
        connection: Connection,
        principal: Principal,
        subject_id: int,
        chosen: MarketingPreferences,
        *,
        location: Location | None,
    ) -> None:
        opened = self._access.open_if_allowed(
            connection, principal, subject_id, MARKETING_SELECTION, operation=Operation.WRITE
        )
        if opened is None:
            self._remove(connection, subject_id)  # never profiled without the opt-in (L13)
            return
        index = self._keys.blind_index(connection)
        connection.execute(
            delete(marketing_interests).where(marketing_interests.c.subject_id == subject_id)
        )
        rows = [
            {"subject_id": subject_id, "interest_bidx": index.value(blind_values.TOPIC, t)}
            for t in chosen.topics
        ] + [
            {"subject_id": subject_id, "interest_bidx": index.value(blind_values.CHANNEL, c)}
            for c in chosen.channels
        ]
        if rows:
            connection.execute(insert(marketing_interests), rows)
        self._upsert_profile(connection, subject_id, location=location, language=chosen.language)

    def _upsert_profile(
        self,
        connection: Connection,
        subject_id: int,
        *,
        location: Location | None,
        language: str | None,
    ) -> None:
        index = self._keys.blind_index(connection)
        values: dict[str, Any] = {"updated_at": self._access_now()}
        if location is not None:
            # L17: only the keyed hash of country and city, never the address they came from
            values["country_bidx"] = (
                index.value(blind_values.COUNTRY, location.country.upper())
                if location.country
                else None
            )
            values["city_bidx"] = blind_values.city(index, location.city) if location.city else None
        if language is not None:
            values["language_bidx"] = index.value(blind_values.LANGUAGE, language)
        changed = connection.execute(
            update(marketing_profiles)
            .where(marketing_profiles.c.subject_id == subject_id)
            .values(values)
        ).rowcount
        if not changed:
            connection.execute(insert(marketing_profiles).values(subject_id=subject_id, **values))

    def _remove(self, connection: Connection, subject_id: int) -> None:
        for table in (marketing_interests, marketing_profiles):
            connection.execute(delete(table).where(table.c.subject_id == subject_id))

    def _read(self, connection: Connection, opened: Opened) -> MarketingPreferences:
        row = connection.execute(
            select(preferences.c.document_enc).where(preferences.c.subject_id == opened.subject_id)
        ).first()
        account_language = opened.record.get("language")
        default_language = (
            account_language if account_language in self._languages else self._languages[0]
        )
        if row is None:
            return MarketingPreferences(
                topics=(),
                language=default_language,
                channels=tuple(c.id for c in self.channels),
            )
        document = json.loads(opened.cipher.decrypt(_DOCUMENT, row.document_enc))
        return MarketingPreferences(
            topics=tuple(document.get("topics", ())),
            language=document.get("language") or default_language,
            channels=tuple(document.get("channels", ())),
        )

    def _access_now(self) -> datetime:
        return self._clock.now()
