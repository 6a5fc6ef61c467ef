"""The database schema, as SQLAlchemy Core tables: one MetaData that Alembic migrates.

Core, not the ORM: the hot paths (log-in look-up, profile read, event ingest) are point
reads and batch inserts where the ORM's identity map costs ~10x a raw read (BENCHMARKS.md).

Personal data never sits in a column in clear: columns ending in ``_enc`` hold AES-GCM
ciphertext under the subject's own data key (``privaat.store.crypto``), ``_bidx`` columns a
keyed hash for equality look-ups. Subjects are named elsewhere (audit trail, access log) by
their pseudonym only. Every column maps to a processing activity (LEGAL L1):
``privaat.store.data_map`` says which.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect

# deterministic constraint names, so migrations are identical on SQLite and PostgreSQL
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on both databases (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: every stored time is timezone-aware UTC")
        return None if value is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UTC_TIME = UTCDateTime()
SubjectRef = BigInteger().with_variant(
    Integer(), "sqlite"
)  # SQLite: INTEGER PRIMARY KEY is the rowid


def _subject_fk() -> Column[int]:
    return Column(
        "subject_id", SubjectRef, ForeignKey("subjects.id", ondelete="CASCADE"), nullable=False
    )


# A data subject: a customer (with an account) or someone known only from a request.
subjects = Table(
    "subjects",
    metadata,
    Column("id", SubjectRef, primary_key=True, autoincrement=True),
    # the pseudonymous id that the audit trail, access log and events use (never the e-mail)
    Column("pseudonym", String(32), nullable=False, unique=True),
    Column("created_at", UTC_TIME, nullable=False),
    # P18/LEGAL L47: a person found to be under 16; processing stops, erasure follows
    Column("minor", Boolean, nullable=False, default=False),
    # GDPR art. 18: processing restricted to storage and legal claims
    Column("restricted", Boolean, nullable=False, default=False),
    # art. 17(3)(e): kept for legal claims; erasure waits until it is lifted
    Column("legal_hold", Boolean, nullable=False, default=False),
)

# The subject's data key, wrapped by the master key; deleting this row is crypto-shredding.
subject_keys = Table(
    "subject_keys",
    metadata,
    Column(
        "subject_id", SubjectRef, ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("master_key_id", String(16), nullable=False),
    Column("wrapped_key", LargeBinary, nullable=False),
)

# System keys (the blind-index key), wrapped by the master key like the subject keys.
system_keys = Table(
    "system_keys",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("master_key_id", String(16), nullable=False),
    Column("wrapped_key", LargeBinary, nullable=False),
)

# P1: the account. Personal fields encrypted per subject; the e-mail also blind-indexed.
accounts = Table(
    "accounts",
    metadata,
    Column(
        "subject_id", SubjectRef, ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("email_bidx", LargeBinary(32), nullable=False, unique=True),
    Column("email_enc", LargeBinary, nullable=False),
    Column("name_enc", LargeBinary, nullable=False),
    Column("street_enc", LargeBinary, nullable=True),
    Column("postal_code_enc", LargeBinary, nullable=True),
    Column("city_enc", LargeBinary, nullable=True),
    Column("phone_enc", LargeBinary, nullable=True),
    Column("vat_number_enc", LargeBinary, nullable=True),
    Column("display_name_enc", LargeBinary, nullable=True),  # P3: shown beside comments
    Column("birth_date_enc", LargeBinary, nullable=True),  # P18: or only the age declaration
    Column("age_declared_16_plus", Boolean, nullable=False),
    Column("language", String(2), nullable=False),
    Column("status", String(16), nullable=False),  # AccountStatus
    Column("created_at", UTC_TIME, nullable=False),
    Column("closed_at", UTC_TIME, nullable=True),
    Column("email_verified", Boolean, nullable=False, default=False),
)

# P2: log-in credentials. The argon2id hash is not personal data in clear, but is bound to one.
credentials = Table(
    "credentials",
    metadata,
    Column(
        "subject_id", SubjectRef, ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("password_hash", String(200), nullable=False),
    Column("changed_at", UTC_TIME, nullable=False),
)

# Browser sessions: only a hash of the token is stored.
sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", LargeBinary(32), primary_key=True),
    _subject_fk(),
    Column("created_at", UTC_TIME, nullable=False),
    Column("expires_at", UTC_TIME, nullable=False),
    Column("device_hash", LargeBinary(32), nullable=False),  # keyed hash of the user agent
)

# Preferences (P4: marketing topics, P7: contact preferences), encrypted as one JSON document.
preferences = Table(
    "preferences",
    metadata,
    Column(
        "subject_id", SubjectRef, ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("document_enc", LargeBinary, nullable=False),
    Column("updated_at", UTC_TIME, nullable=False),
)

# P9: each log-in with where it came from (append-only events).
login_events = Table(
    "login_events",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    ),
    _subject_fk(),
    Column("at", UTC_TIME, nullable=False),
    Column("ip_enc", LargeBinary, nullable=True),  # full IP until the minimisation deadline
    Column("ip_truncated_enc", LargeBinary, nullable=False),  # /24 or /48 (LEGAL L23)
    Column("country_enc", LargeBinary, nullable=True),  # derived offline from the IP (P9)
    Column("city_enc", LargeBinary, nullable=True),
    Column("device_hash", LargeBinary(32), nullable=False),
    Column("new_device", Boolean, nullable=False),
    Index("ix_login_events_subject_at", "subject_id", "at"),
)

# Consent events (LEGAL L7): append-only; the current state is a fold over them.
consent_events = Table(
    "consent_events",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    ),
    _subject_fk(),
    Column("activity", String(64), nullable=False),
    Column("given", Boolean, nullable=False),
    Column("consent_version", Integer, nullable=False),
    Column("text_sha256", String(64), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("at", UTC_TIME, nullable=False),
    Column("expires_at", UTC_TIME, nullable=True),
    Index("ix_consent_events_subject", "subject_id", "activity", "id"),
)

# Objections (art. 21): per activity; compelling grounds may be recorded against one.
objections = Table(
    "objections",
    metadata,
    _subject_fk(),
    Column("activity", String(64), nullable=False),
    Column("at", UTC_TIME, nullable=False),
    Column("compelling_grounds", Text, nullable=True),
    Index("uq_objections_subject_activity", "subject_id", "activity", unique=True),
)

# Who read whose personal data for which activity (DESIGN: each allowed read is logged).
access_log = Table(
    "access_log",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("at", UTC_TIME, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("activity", String(64), nullable=False),
    Column("subject_pseudonym", String(32), nullable=False),
    Column("operation", String(16), nullable=False),
    Index("ix_access_log_subject", "subject_pseudonym", "at"),
)

# The audit trail: append-only and hash-chained (privaat.store.audit); pseudonymous.
audit_log = Table(
    "audit_log",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False
    ),
    Column("at", UTC_TIME, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject_pseudonym", String(32), nullable=True),
    Column("detail", Text, nullable=False),  # canonical JSON, nothing personal in clear
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

# Mail waiting to be sent (security notices, P3); the body is encrypted for its subject.
outbox = Table(
    "outbox",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("subject_id", SubjectRef, ForeignKey("subjects.id", ondelete="CASCADE"), nullable=True),
    Column("activity", String(64), nullable=False),
    Column("template", String(64), nullable=False),
    Column("message_enc", LargeBinary, nullable=False),
    Column("created_at", UTC_TIME, nullable=False),
    Column("sent_at", UTC_TIME, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
)

# Rate limiting of log-in attempts, per account (blind index) and per IP (keyed hash).
login_attempts = Table(
    "login_attempts",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("key_hash", LargeBinary(32), nullable=False),
    Column("at", UTC_TIME, nullable=False),
    Index("ix_login_attempts_key_at", "key_hash", "at"),
)

__all__ = [
    "access_log",
    "accounts",
    "audit_log",
    "consent_events",
    "credentials",
    "login_attempts",
    "login_events",
    "metadata",
    "objections",
    "outbox",
    "preferences",
    "sessions",
    "subject_keys",
    "subjects",
    "system_keys",
]
