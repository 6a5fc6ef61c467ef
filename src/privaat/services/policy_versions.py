"""Every published version of the privacy statement, kept as it was published (issue 9).

At start-up the app records the policy it runs with (``PolicyVersions.record``), so each
version a reader was ever shown stays readable at ``/privacy/v/N`` (art. 13(3), 12(1);
LEGAL L48: a dated, versioned statement). The rule, checked before anything is written:

- a version number stands for one text: the same number with any other content, even a
  typo fixed, refuses to start ("raise policy.version"), since the archive must show what
  was published under that number. The text is the policy as canonical JSON (sorted keys),
  so comments and YAML layout are no change; a stored version that still loads as an equal
  policy under a newer schema (a field with a default added) is the same version too;
- a new version comes after the newest stored one and follows it as ``check_versions``
  requires (the number and the date go up for a material change, a consent text changed
  raises its consent version: L48-L50);
- running an older version that is stored with the same content (a rollback) is allowed
  and records nothing.

The "Wat is er veranderd" box: for 30 days after the running version takes effect, the diff
from the version stored before it, when that diff is material (``recent_changes``).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, Select, insert, select
from sqlalchemy.exc import IntegrityError

from privaat.domain.clock import Clock
from privaat.policy.diff import PolicyDiff, check_versions, diff_policies
from privaat.policy.loader import PolicyError, PolicyProblem
from privaat.policy.schema import Policy
from privaat.store.tables import policy_versions

__all__ = [
    "CHANGES_SHOWN_FOR",
    "PolicyVersionConflict",
    "PolicyVersions",
    "StoredVersion",
    "canonical_text",
]

# how long after a material change takes effect the statement shows what changed
CHANGES_SHOWN_FOR = timedelta(days=30)


def canonical_text(policy: Policy) -> str:
    """The policy as canonical JSON: what a version stores and what its SHA-256 is taken of."""
    return json.dumps(
        policy.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class PolicyVersionConflict(PolicyError):
    """The running policy cannot be published under its version number (module docstring)."""

    def __init__(self, policy: Policy, message: str) -> None:
        meta = policy.policy
        super().__init__(
            [PolicyProblem(f"policy {meta.id} v{meta.version}", None, None, "", message)]
        )


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """One published version as stored."""

    number: int
    published_at: datetime
    effective: date | None
    last_updated: date
    text: str
    sha256: str

    @property
    def in_force_from(self) -> date:
        """The day this version applies: its ``effective`` date, else its ``last_updated``."""
        return self.effective or self.last_updated

    def load(self) -> Policy | None:
        """The stored policy, or None when it no longer loads under this schema."""
        try:
            return Policy.model_validate(json.loads(self.text))
        except (ValueError, ValidationError):
            return None


class PolicyVersions:
    """The ``policy_versions`` table of one policy id; the rows never change once written."""

    def __init__(self, engine: Engine, clock: Clock, policy_id: str) -> None:
        self._engine, self._clock, self._policy_id = engine, clock, policy_id
        self._loaded: dict[int, Policy | None] = {}  # rows are immutable: parse each once
        self._changes: dict[int, tuple[Policy, PolicyDiff | None]] = {}  # by id(policy)
        self._lock = threading.Lock()

    def record(self, policy: Policy) -> StoredVersion:
        """Store ``policy`` as a published version if it is new; PolicyVersionConflict if not."""
        try:
            return self._record(policy)
        except IntegrityError:
            # another worker starting at the same moment stored it first: compare with that
            return self._record(policy)

    def _record(self, policy: Policy) -> StoredVersion:
        with self._engine.begin() as connection:
            return self.record_on(connection, policy)

    def record_on(self, connection: Connection, policy: Policy) -> StoredVersion:
        """``record`` inside the caller's transaction: ``policy publish`` stores the version,
        its publication and the change e-mails as one unit (``services.policy_publishing``)."""
        if policy.policy.id != self._policy_id:
            raise ValueError(f"these versions are of {self._policy_id}, not {policy.policy.id}")
        text = canonical_text(policy)
        digest = _sha256(text)
        number = policy.policy.version
        stored = [_version(row._mapping) for row in connection.execute(self._select())]
        same = next((v for v in stored if v.number == number), None)
        if same is not None:
            if same.sha256 == digest or same.load() == policy:
                return same  # already published, or a rollback to it
            raise PolicyVersionConflict(
                policy,
                f"version {number} was published on {same.published_at:%Y-%m-%d} with a "
                "different text; a published version never changes: raise policy.version "
                "(and policy.last_updated) to publish this text (art. 13(3); L48)",
            )
        newest = max(stored, key=lambda v: v.number, default=None)
        if newest is not None:
            self._follows(policy, newest)
        row: dict[str, Any] = {
            "policy_id": self._policy_id,
            "version": number,
            "published_at": self._clock.now(),
            "effective": policy.policy.effective,
            "last_updated": policy.policy.last_updated,
            "text": text,
            "sha256": digest,
        }
        connection.execute(insert(policy_versions).values(**row))
        return _version(row)

    def all(self) -> list[StoredVersion]:
        """Every stored version, newest first."""
        with self._engine.connect() as connection:
            rows = connection.execute(self._select().order_by(policy_versions.c.version.desc()))
            return [_version(row._mapping) for row in rows]

    def get(self, number: int) -> StoredVersion | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                self._select().where(policy_versions.c.version == number)
            ).first()
        return None if row is None else _version(row._mapping)

    def policy(self, version: StoredVersion) -> Policy | None:
        """``version`` loaded as a policy, parsed once per process (the row never changes)."""
        if version.number not in self._loaded:
            self._loaded[version.number] = version.load()
        return self._loaded[version.number]

    def recent_changes(self, policy: Policy, today: date) -> PolicyDiff | None:
        """What changed materially from the previous version, while it is recent (30 days)."""
        meta = policy.policy
        in_force_from = meta.effective or meta.last_updated
        if today >= in_force_from + CHANGES_SHOWN_FOR:
            return None
        return self._changes_to(policy)

    def _changes_to(self, policy: Policy) -> PolicyDiff | None:
        cached = self._changes.get(id(policy))
        if cached is not None and cached[0] is policy:
            return cached[1]
        previous = self._previous(policy.policy.version)
        old = None if previous is None else self.policy(previous)
        diff = None if old is None else diff_policies(old, policy)
        changes = diff if diff is not None and diff.is_material else None
        with self._lock:
            self._changes[id(policy)] = (policy, changes)
        return changes

    def _previous(self, number: int) -> StoredVersion | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                self._select()
                .where(policy_versions.c.version < number)
                .order_by(policy_versions.c.version.desc())
                .limit(1)
            ).first()
        return None if row is None else _version(row._mapping)

    def _follows(self, policy: Policy, newest: StoredVersion) -> None:
        if policy.policy.version < newest.number:
            raise PolicyVersionConflict(
                policy,
                f"version {newest.number} is already published: a new text needs a version "
                f"above it, not {policy.policy.version} (L48)",
            )
        old = newest.load()
        if old is None:  # stored under an older schema: the number alone tells them apart
            return
        findings = check_versions(old, policy)
        if findings:
            problems = "; ".join(finding.message for finding in findings)
            raise PolicyVersionConflict(
                policy, f"cannot follow published version {newest.number}: {problems}"
            )

    def _select(self) -> Select[Any]:
        return select(policy_versions).where(policy_versions.c.policy_id == self._policy_id)


def _version(values: Mapping[Any, Any]) -> StoredVersion:
    return StoredVersion(
        number=values["version"],
        published_at=values["published_at"],
        effective=values["effective"],
        last_updated=values["last_updated"],
        text=values["text"],
        sha256=values["sha256"],
    )
