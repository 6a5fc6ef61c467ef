"""The marketing selection (P4; LEGAL L13, L15, L17): who may get a marketing e-mail.

    candidates (SQL)   ── the newest marketing-consent event of each subject is "given", and
                          the filter's blind indexes match (topics, language, country, city,
                          services, channels); with each row what the guard reads: flags,
                          account status, the consent's text hash and expiry, objections
    admission (seam)   ── the guard decides ``marketing_selection`` *and* the channel's own
                          sending activity for each candidate (SubjectAccess.admit), and each
                          admitted subject is access-logged; the log is made durable before
                          the audience is returned
    preview            ── a few of them opened through the seam: initials only

SQL only narrows; the guard decides. So a consent that is stale or expired, a restriction
(whole, or scoped to either activity), a closed account, a minor flag or any objection to
direct marketing keeps a person out whatever the filter says (art. 21(3): the objection is
absolute, targeting included). Country and city are the blind indexes of the projection
(``services.marketing_preferences``): the selection never sees an IP address (L17).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, exists, func, select, true

from privaat.domain.clock import Clock
from privaat.domain.guard import Guard
from privaat.domain.marketing import (
    Audience,
    AudienceFilter,
    AudienceMember,
    InvalidFilter,
    initials,
)
from privaat.domain.principal import Principal
from privaat.domain.subject import (
    DIRECT_MARKETING,
    AccountStatus,
    ConsentState,
    ConsentStatus,
    SubjectState,
)
from privaat.policy.schema import Policy
from privaat.services.access_log import AccessLog
from privaat.services.errors import InvalidField
from privaat.services.marketing_preferences import Preferences, blind_values
from privaat.services.subject_access import SubjectAccess
from privaat.services.subject_state import scoped_restrictions
from privaat.store.crypto import BlindIndex
from privaat.store.key_store import KeyStore
from privaat.store.tables import (
    accounts,
    consent_decisions,
    consent_events,
    objections,
    subjects,
)
from privaat.store.tables_marketing import (
    MARKETING_SELECTION,
    customer_services,
    marketing_interests,
    marketing_profiles,
)
from privaat.store.unit_of_work import UnitOfWork

__all__ = ["MARKETING_SELECTION", "PREVIEW_SIZE", "MarketingSelection"]

PREVIEW_SIZE = 5  # a preview shows a few people, never the list
CHUNK = 50_000  # subjects admitted between two flushes of the access log (its buffer bound)
# rows per access-log transaction for a selection: ~10x fewer commits than the log's default,
# each still a short write lock (~30 ms on SQLite)
LOG_BATCH = 5_000


class MarketingSelection:
    """Builds audiences under ``marketing_selection``, through the guard and the access log."""

    activities = frozenset({MARKETING_SELECTION})

    def __init__(
        self,
        *,
        access: SubjectAccess,
        access_log: AccessLog,
        guard: Guard,
        keys: KeyStore,
        preferences: Preferences,
        policy: Policy,
        clock: Clock,
    ) -> None:
        self._access, self._log, self._guard = access, access_log, guard
        self._keys, self._preferences, self._clock = keys, preferences, clock
        channels = preferences.channels
        # the audience is for the first channel (e-mail): its sending activity must allow too
        self._send_activity = channels[0].activity if channels else None
        self._objection_keys = (
            guard.objections_read(MARKETING_SELECTION) if MARKETING_SELECTION in guard else None
        )
        self._policy = policy

    def check(self, wanted: AudienceFilter) -> None:
        """InvalidField naming a topic, service, channel or language the policy lacks."""
        known = {
            "topic": ({t.id for t in self._preferences.topics}, wanted.topics),
            "service": ({s.id for s in self._preferences.services}, wanted.services),
            "channel": ({c.id for c in self._preferences.channels}, wanted.channels),
            "language": (set(self._preferences.languages), wanted.languages),
        }
        for key, (offered, asked) in known.items():
            for value in sorted(asked - offered):
                raise InvalidField(key, f"unknown {key} '{value[:64]}'")

    def audience(
        self,
        uow: UnitOfWork,
        principal: Principal,
        wanted: AudienceFilter,
        *,
        preview: int = PREVIEW_SIZE,
    ) -> Audience:
        """The subjects the guard admits that ``wanted`` targets, with a short preview."""
        self.check(wanted)
        if self._send_activity is None or self._objection_keys is None:
            # a provider without marketing declares no selection: nobody is ever selected
            return Audience(subject_ids=(), filter=wanted)
        now = self._clock.now()
        with uow.reading() as connection:
            index = self._keys.blind_index(connection)
            rows = connection.execute(self._candidates(index, wanted, now)).all()
            scoped = scoped_restrictions(connection, [r[0] for r in rows if r[4]])
            admitted: list[int] = []
            states: dict[tuple[Any, ...], SubjectState] = {}
            for start in range(0, len(rows), CHUNK):
                chunk = rows[start : start + CHUNK]
                admitted += self._access.admit(
                    principal,
                    MARKETING_SELECTION,
                    _candidates_of(chunk, states, scoped, self._send_activity),
                    also=(self._send_activity,),
                )
                if len(rows) > CHUNK:
                    self._log.flush(batch_size=LOG_BATCH)  # bounded buffer: drop nothing
            members = tuple(self._preview(connection, principal, admitted[:preview]))
        # a bulk read of profiles: durable before anyone sees the result (as exports)
        self._log.flush(batch_size=LOG_BATCH)
        return Audience(subject_ids=tuple(admitted), filter=wanted, preview=members)

    # --- the steps ---------------------------------------------------------------------

    def _candidates(self, index: BlindIndex, wanted: AudienceFilter, now: datetime) -> Select[Any]:
        send = self._send_activity
        newest = (
            select(func.max(consent_events.c.id).label("id"))
            .where(consent_events.c.activity == send, consent_decisions())
            .group_by(consent_events.c.subject_id)
            .subquery()
        )
        objected = (
            exists()
            .where(
                objections.c.subject_id == subjects.c.id,
                objections.c.activity.in_(sorted(self._objection_keys or ())),
            )
            .label("objected")
        )
        query = (
            select(
                subjects.c.id,
                subjects.c.pseudonym,
                subjects.c.minor,
                subjects.c.restricted,
                subjects.c.restriction_scoped,
                subjects.c.legal_hold,
                accounts.c.status,
                consent_events.c.text_sha256,
                consent_events.c.expires_at,
                objected,
                consent_events.c.at,
            )
            .select_from(newest)
            .join(consent_events, consent_events.c.id == newest.c.id)
            .join(subjects, subjects.c.id == consent_events.c.subject_id)
            .outerjoin(accounts, accounts.c.subject_id == subjects.c.id)
            # only a necessary condition: the guard checks the text, expiry and the rest
            .where(consent_events.c.given == true())
            .order_by(subjects.c.id)
        )
        return query.where(*self._targeting(index, wanted))

    def _targeting(self, index: BlindIndex, wanted: AudienceFilter) -> Iterator[Any]:
        subject = subjects.c.id
        interests = (
            [index.value(blind_values.TOPIC, t) for t in sorted(wanted.topics)],
            [index.value(blind_values.CHANNEL, c) for c in sorted(wanted.channels)],
        )
        for hashes in interests:
            if hashes:
                yield exists().where(
                    marketing_interests.c.subject_id == subject,
                    marketing_interests.c.interest_bidx.in_(hashes),
                )
        profile: list[Any] = []
        if wanted.languages:
            profile.append(
                marketing_profiles.c.language_bidx.in_(
                    [index.value(blind_values.LANGUAGE, v) for v in sorted(wanted.languages)]
                )
            )
        if wanted.countries:
            profile.append(
                marketing_profiles.c.country_bidx.in_(
                    [index.value(blind_values.COUNTRY, v) for v in sorted(wanted.countries)]
                )
            )
        if wanted.cities:
            profile.append(
                marketing_profiles.c.city_bidx.in_(
                    [blind_values.city(index, v) for v in sorted(wanted.cities)]
                )
            )
        if profile:
            yield exists().where(marketing_profiles.c.subject_id == subject, and_(*profile))
        if wanted.services:
            yield exists().where(
                customer_services.c.subject_id == subject,
                customer_services.c.service_bidx.in_(
                    [index.value(blind_values.SERVICE, v) for v in sorted(wanted.services)]
                ),
            )

    def _preview(
        self, connection: Connection, principal: Principal, subject_ids: list[int]
    ) -> Iterator[AudienceMember]:
        for subject_id in subject_ids:
            opened = self._access.open(connection, principal, subject_id, MARKETING_SELECTION)
            blob = connection.execute(
                select(accounts.c.name_enc).where(accounts.c.subject_id == subject_id)
            ).scalar()
            name = (
                "" if opened.withholds("accounts.name") else opened.decrypt("accounts.name", blob)
            )
            yield AudienceMember(
                subject_id=subject_id,
                initials=initials(name or ""),
                language=opened.record.get("language"),
            )


def _candidates_of(
    rows: Any,
    states: dict[tuple[Any, ...], SubjectState],
    scoped: Mapping[int, tuple[frozenset[str], frozenset[str]]],
    send_activity: str,
) -> Iterator[tuple[int, str, SubjectState]]:
    """(id, pseudonym, state) per candidate row; candidates alike in all the guard reads
    share one immutable snapshot (the guard reads no ``given_at``), built once."""
    none: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())
    for row in rows:
        subject_id, pseudonym, minor, restricted, _, hold, status, text, expires, objected, at = row
        acts, cats = scoped.get(subject_id, none) if row[4] else none
        key = (minor, restricted, hold, status, text, expires, objected, acts, cats)
        state = states.get(key)
        if state is None:
            state = states[key] = SubjectState(
                account=AccountStatus(status) if status else AccountStatus.NONE,
                consents={
                    send_activity: ConsentState(
                        status=ConsentStatus.GIVEN,
                        text_sha256=text,
                        given_at=at,
                        expires_at=expires,
                    )
                },
                # an objection to any direct marketing stops it all (art. 21(3)); the key is
                # the general one, which the guard counts for every marketing activity
                objections=frozenset({DIRECT_MARKETING}) if objected else frozenset(),
                restricted=bool(restricted),
                restricted_activities=acts,
                restricted_categories=cats,
                minor=bool(minor),
                legal_hold=bool(hold),
            )
        yield subject_id, pseudonym, state


def parse_error_to_field(error: InvalidFilter) -> InvalidField:
    """The service's error for a filter the domain could not parse."""
    return InvalidField(error.key, error.message)
