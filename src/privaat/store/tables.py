"""The database schema, as SQLAlchemy Core tables: one MetaData that Alembic migrates.

Core, not the ORM: the hot paths (log-in look-up, profile read, event ingest) are point
reads and batch inserts where the ORM's identity map costs ~10x a raw read (BENCHMARKS.md).

Personal data never sits in a column in clear: columns ending in ``_enc`` hold AES-GCM
ciphertext under the subject's own data key (``privaat.store.crypto``), ``_bidx`` columns a
keyed hash for equality look-ups. Subjects are named elsewhere (audit trail, access log) by
their pseudonym only. Every column says what it holds and every table how it reaches a
subject (``privaat.store.registry``, LEGAL L1): a test refuses a column without it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    or_,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ColumnElement, FromClause

from privaat.domain.activities import (
    ACCOUNT,
    CONSENT_RECORDS,
    LEGAL_CLAIMS,
    LOGIN,
    LOGIN_LOCATION,
    MINOR_PROTECTION,
    NOTICES,
    RIGHTS,
    SECURITY_LOG,
    STAFF_ACCOUNTS,
)
from privaat.store.registry import (
    ACCOUNT_CLOSURE,
    ErasureMode,
    SubjectTable,
    Unlinked,
    personal,
    technical,
)

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


def _subject_fk(*, primary_key: bool = False) -> Column[int]:
    return technical(
        "subject_id",
        SubjectRef,
        ForeignKey("subjects.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


def _id() -> Column[int]:
    return technical(
        "id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )


HOLD = ErasureMode.HOLD


# A data subject: a customer (with an account) or someone known only from a request. After
# an erasure that keeps held rows, the row stays as their anchor (a tombstone): every column
# is held, and nothing in it says more than that someone was a subject and was erased.
subjects = Table(
    "subjects",
    metadata,
    technical("id", SubjectRef, primary_key=True, autoincrement=True),
    # the pseudonymous id that the audit trail, access log and events use (never the e-mail)
    technical("pseudonym", String(32), nullable=False, unique=True),
    personal("created_at", UTC_TIME, nullable=False, activity=ACCOUNT, category=None, erasure=HOLD),
    # P18/LEGAL L47: a person found to be under 16; processing stops, erasure follows
    personal(
        "minor",
        Boolean,
        nullable=False,
        default=False,
        activity=MINOR_PROTECTION,
        category="age_confirmation",
        erasure=HOLD,
    ),
    # GDPR art. 18: all processing restricted to storage and legal claims (a narrower scope
    # is in ``restrictions``)
    personal(
        "restricted",
        Boolean,
        nullable=False,
        default=False,
        activity=RIGHTS,
        category="rights_requests",
        erasure=HOLD,
    ),
    # art. 18(1), LEGAL L87: part of the processing is restricted (rows in ``restrictions``);
    # a flag, so the hot read of an unrestricted subject needs no query for it
    personal(
        "restriction_scoped",
        Boolean,
        nullable=False,
        default=False,
        activity=RIGHTS,
        category="rights_requests",
        erasure=HOLD,
    ),
    # art. 17(3)(e): kept for legal claims; erasure waits until it is lifted
    personal(
        "legal_hold",
        Boolean,
        nullable=False,
        default=False,
        activity=LEGAL_CLAIMS,
        category=None,
        erasure=HOLD,
    ),
    # art. 17: erased; only held rows (and this tombstone naming them) remain until they expire
    personal(
        "erased_at",
        UTC_TIME,
        nullable=True,
        activity=RIGHTS,
        category=None,
        erasure=HOLD,
    ),
    info={"subject": SubjectTable("id", clock="created_at", hold=RIGHTS)},
)

# The subject's data key, wrapped by the master key; deleting this row is crypto-shredding.
subject_keys = Table(
    "subject_keys",
    metadata,
    _subject_fk(primary_key=True),
    technical("master_key_id", String(16), nullable=False),
    technical("wrapped_key", LargeBinary, nullable=False),
    info={"subject": SubjectTable("subject_id", clock=ACCOUNT_CLOSURE)},
)

# The subject's hold key: what erasure must keep (HOLD columns) is encrypted under it, so the
# data key can be destroyed while the held rows stay readable until their hold ends.
hold_keys = Table(
    "hold_keys",
    metadata,
    _subject_fk(primary_key=True),
    technical("master_key_id", String(16), nullable=False),
    technical("wrapped_key", LargeBinary, nullable=False),
    info={"subject": SubjectTable("subject_id", clock=ACCOUNT_CLOSURE, hold=RIGHTS)},
)

# System keys (the blind-index key), wrapped by the master key like the subject keys.
system_keys = Table(
    "system_keys",
    metadata,
    technical("name", String(32), primary_key=True),
    technical("master_key_id", String(16), nullable=False),
    technical("wrapped_key", LargeBinary, nullable=False),
    info={"subject": Unlinked("system keys belong to no subject")},
)

# P1: the account. Personal fields encrypted per subject; the e-mail also blind-indexed.
accounts = Table(
    "accounts",
    metadata,
    _subject_fk(primary_key=True),
    # P2: log-in by e-mail; a keyed hash, useless without the key and gone with the row
    personal(
        "email_bidx",
        LargeBinary(32),
        nullable=False,
        unique=True,
        activity=LOGIN,
        category="email_address",
    ),
    personal("email_enc", LargeBinary, nullable=False, activity=ACCOUNT, category="email_address"),
    personal("name_enc", LargeBinary, nullable=False, activity=ACCOUNT, category="name"),
    personal("street_enc", LargeBinary, activity=ACCOUNT, category="postal_address"),
    personal("postal_code_enc", LargeBinary, activity=ACCOUNT, category="postal_address"),
    personal("city_enc", LargeBinary, activity=ACCOUNT, category="postal_address"),
    personal("phone_enc", LargeBinary, activity=ACCOUNT, category="phone_number"),
    personal("vat_number_enc", LargeBinary, activity=ACCOUNT, category="vat_number"),
    # P3: shown beside comments
    personal("display_name_enc", LargeBinary, activity=NOTICES, category="comments"),
    # P18: or only the age declaration
    personal("birth_date_enc", LargeBinary, activity=MINOR_PROTECTION, category="age_confirmation"),
    personal(
        "age_declared_16_plus",
        Boolean,
        nullable=False,
        activity=MINOR_PROTECTION,
        category="age_confirmation",
    ),
    personal("language", String(2), nullable=False, activity=ACCOUNT, category="language"),
    personal("status", String(16), nullable=False, activity=ACCOUNT, category=None),
    personal("created_at", UTC_TIME, nullable=False, activity=ACCOUNT, category=None),
    personal("closed_at", UTC_TIME, activity=ACCOUNT, category=None),
    personal(
        "email_verified",
        Boolean,
        nullable=False,
        default=False,
        activity=LOGIN,
        category="email_address",
    ),
    info={"subject": SubjectTable("subject_id", clock=ACCOUNT_CLOSURE)},
)

# P2: log-in credentials. The argon2id hash is not personal data in clear, but is bound to one.
credentials = Table(
    "credentials",
    metadata,
    _subject_fk(primary_key=True),
    personal(
        "password_hash",
        String(200),
        nullable=False,
        activity=LOGIN,
        category="password",
    ),
    personal("changed_at", UTC_TIME, nullable=False, activity=LOGIN, category=None),
    info={"subject": SubjectTable("subject_id", clock=ACCOUNT_CLOSURE)},
)

# Browser sessions: only a hash of the token is stored.
sessions = Table(
    "sessions",
    metadata,
    technical("token_hash", LargeBinary(32), primary_key=True),
    _subject_fk(),
    personal("created_at", UTC_TIME, nullable=False, activity=LOGIN, category=None),
    personal("expires_at", UTC_TIME, nullable=False, activity=LOGIN, category=None),
    # the idle timeout's clock: moved on by use, at most every few minutes (OWASP ASVS 3.3.2)
    personal("last_seen_at", UTC_TIME, nullable=False, activity=LOGIN, category=None),
    # keyed hash of the user agent
    personal(
        "device_hash",
        LargeBinary(32),
        nullable=False,
        activity=LOGIN,
        category="device_information",
    ),
    info={"subject": SubjectTable("subject_id", clock="expires_at")},
)

# One-time links sent to a subject's address (verify it, confirm a new one): only the hash of
# the token is stored, the new address of a pending change is encrypted, and a link is
# spent by deleting its row (single use); expired rows go with the retention sweep.
subject_tokens = Table(
    "subject_tokens",
    metadata,
    technical("token_hash", LargeBinary(32), primary_key=True),
    _subject_fk(),
    technical("purpose", String(32), nullable=False),
    personal("payload_enc", LargeBinary, nullable=True, activity=LOGIN, category="email_address"),
    personal(
        "payload_bidx", LargeBinary(32), nullable=True, activity=LOGIN, category="email_address"
    ),
    personal("created_at", UTC_TIME, nullable=False, activity=LOGIN, category=None),
    personal("expires_at", UTC_TIME, nullable=False, activity=LOGIN, category=None),
    Index("ix_subject_tokens_subject", "subject_id", "purpose"),
    info={"subject": SubjectTable("subject_id", clock="expires_at")},
)

# Preferences (language, channels, topics), encrypted as one JSON document; kept with the
# account until the marketing service (issue 8) declares what selection reads of them.
preferences = Table(
    "preferences",
    metadata,
    _subject_fk(primary_key=True),
    personal(
        "document_enc",
        LargeBinary,
        nullable=False,
        activity=ACCOUNT,
        category="preferences",
    ),
    personal("updated_at", UTC_TIME, nullable=False, activity=ACCOUNT, category=None),
    info={"subject": SubjectTable("subject_id", clock=ACCOUNT_CLOSURE)},
)

# P9: each log-in with where it came from (append-only events).
_LOCATION = LOGIN_LOCATION
login_events = Table(
    "login_events",
    metadata,
    _id(),
    _subject_fk(),
    personal("at", UTC_TIME, nullable=False, activity=_LOCATION, category="login_history"),
    # the full IP until the minimisation deadline, then only the /24 or /48 (LEGAL L23)
    personal("ip_enc", LargeBinary, nullable=True, activity=_LOCATION, category="ip_address"),
    personal(
        "ip_truncated_enc",
        LargeBinary,
        nullable=False,
        activity=_LOCATION,
        category="ip_address",
    ),
    # derived offline from the IP (P9)
    personal("country_enc", LargeBinary, activity=_LOCATION, category="coarse_location"),
    personal("city_enc", LargeBinary, activity=_LOCATION, category="coarse_location"),
    # P3: a notice of a new device
    personal(
        "device_hash",
        LargeBinary(32),
        nullable=False,
        activity=LOGIN,
        category="device_information",
    ),
    personal("new_device", Boolean, nullable=False, activity=LOGIN, category=None),
    Index("ix_login_events_subject_at", "subject_id", "at"),
    info={"subject": SubjectTable("subject_id", clock="at")},
)

# Consent events (LEGAL L7): append-only; the current state is a fold over them. They are the
# proof of consent (art. 7(1)): erasure keeps them, restricted, for the consent records' own
# retention; their evidence (truncated IP, user agent) is under the hold key.
_CONSENT = CONSENT_RECORDS
consent_events = Table(
    "consent_events",
    metadata,
    _id(),
    _subject_fk(),
    *(
        personal(name, type_, nullable=nullable, activity=_CONSENT, category=category, erasure=HOLD)
        for name, type_, nullable, category in (
            ("activity", String(64), False, "privacy_choices"),
            ("given", Boolean, False, "privacy_choices"),
            ("consent_version", Integer, False, "privacy_choices"),
            ("text_sha256", String(64), False, "privacy_choices"),
            # the policy version in force and the language of the text shown (issue 10; null
            # on a withdrawal's language, and on rows from before migration 0005)
            ("policy_version", Integer, True, "privacy_choices"),
            ("lang", String(8), True, "privacy_choices"),
            ("channel", String(32), False, "privacy_choices"),
            ("at", UTC_TIME, False, None),
            ("expires_at", UTC_TIME, True, None),
            ("evidence_enc", LargeBinary, True, "online_identifiers"),
            # a double opt-in's step (domain.consent_ledger.Stage): "requested" is no
            # consent yet, "confirmed" the give through the mailed link; null otherwise
            ("stage", String(16), True, "privacy_choices"),
        )
    ),
    Index("ix_consent_events_subject", "subject_id", "activity", "id"),
    info={"subject": SubjectTable("subject_id", clock="at", hold=_CONSENT)},
)


def consent_decisions(table: FromClause = consent_events) -> ColumnElement[bool]:
    """The ledger rows that decide a consent, a give or a withdrawal: not a double opt-in's
    request, which is no consent until its confirmation (issue 14 item 5). ``table`` may be
    an alias of the ledger."""
    stage = table.c.stage
    return or_(stage.is_(None), stage != "requested")


# Objections (art. 21): per activity; compelling grounds may be recorded against one. Kept
# after erasure as the proof that the objection was honoured (rights handling).
objections = Table(
    "objections",
    metadata,
    _subject_fk(),
    personal(
        "activity",
        String(64),
        nullable=False,
        activity=RIGHTS,
        category="rights_requests",
        erasure=HOLD,
    ),
    personal("at", UTC_TIME, nullable=False, activity=RIGHTS, category=None, erasure=HOLD),
    personal(
        "compelling_grounds",
        Text,
        nullable=True,
        activity=RIGHTS,
        category="rights_requests",
        erasure=HOLD,
    ),
    Index("uq_objections_subject_activity", "subject_id", "activity", unique=True),
    info={"subject": SubjectTable("subject_id", clock="at", hold=RIGHTS)},
)

# Restriction of part of the processing (art. 18(1)): one activity, or one data category
# (e.g. the contested phone number); ``subjects.restricted`` restricts everything.
restrictions = Table(
    "restrictions",
    metadata,
    _id(),
    _subject_fk(),
    personal(
        "activity",
        String(64),
        nullable=True,
        activity=RIGHTS,
        category="rights_requests",
    ),
    personal(
        "category",
        String(64),
        nullable=True,
        activity=RIGHTS,
        category="rights_requests",
    ),
    personal("at", UTC_TIME, nullable=False, activity=RIGHTS, category=None),
    Index("ix_restrictions_subject", "subject_id"),
    info={"subject": SubjectTable("subject_id", clock="at")},
)

# Who read whose personal data for which activity (DESIGN: each allowed read is logged). Kept
# after erasure for its own retention: who accessed what stays provable (art. 5(2), 32).
_SECURITY = SECURITY_LOG
access_log = Table(
    "access_log",
    metadata,
    _id(),
    *(
        personal(name, type_, nullable=False, activity=_SECURITY, category=category, erasure=HOLD)
        for name, type_, category in (
            ("at", UTC_TIME, None),
            ("actor", String(64), "login_history"),
            ("activity", String(64), "login_history"),
            ("subject_pseudonym", String(32), "online_identifiers"),
            ("operation", String(16), "login_history"),
        )
    ),
    Index("ix_access_log_subject", "subject_pseudonym", "at"),
    info={"subject": SubjectTable("subject_pseudonym", clock="at", hold=_SECURITY)},
)

# The audit trail: append-only and hash-chained (privaat.store.audit); pseudonymous. Erasure
# never edits it: a gap would break the chain, and it holds nothing personal in clear.
audit_log = Table(
    "audit_log",
    metadata,
    technical(
        "seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False
    ),
    *(
        personal(
            name, type_, nullable=nullable, activity=_SECURITY, category=category, erasure=HOLD
        )
        for name, type_, nullable, category in (
            ("at", UTC_TIME, False, None),
            ("actor", String(64), False, "login_history"),
            ("action", String(64), False, "login_history"),
            ("subject_pseudonym", String(32), True, "online_identifiers"),
            # canonical JSON, nothing personal in clear
            ("detail", Text, False, "login_history"),
        )
    ),
    technical("prev_hash", String(64), nullable=False),
    technical("hash", String(64), nullable=False),
    info={"subject": SubjectTable("subject_pseudonym", clock="at", hold=_SECURITY)},
)

# Mail waiting to be sent (security notices, P3); the body is encrypted for its subject.
outbox = Table(
    "outbox",
    metadata,
    _id(),
    technical(
        "subject_id", SubjectRef, ForeignKey("subjects.id", ondelete="CASCADE"), nullable=True
    ),
    technical("activity", String(64), nullable=False),  # names the activity each message serves
    personal("template", String(64), nullable=False, activity=NOTICES, category=None),
    personal(
        "message_enc",
        LargeBinary,
        nullable=False,
        activity=NOTICES,
        category="email_address",
    ),
    personal("created_at", UTC_TIME, nullable=False, activity=NOTICES, category=None),
    personal("sent_at", UTC_TIME, nullable=True, activity=NOTICES, category=None),
    technical("attempts", Integer, nullable=False, default=0),
    # RFC 5321 §4.5.4.1: the next try after a temporary refusal, and when it was given up
    technical("next_attempt_at", UTC_TIME, nullable=True),
    personal("given_up_at", UTC_TIME, nullable=True, activity=NOTICES, category=None),
    info={"subject": SubjectTable("subject_id", clock="created_at")},
)

# Rate limiting of log-in attempts, per account (blind index) and per IP (keyed hash).
login_attempts = Table(
    "login_attempts",
    metadata,
    _id(),
    personal(
        "key_hash",
        LargeBinary(32),
        nullable=False,
        activity=SECURITY_LOG,
        category="online_identifiers",
    ),
    personal("at", UTC_TIME, nullable=False, activity=SECURITY_LOG, category=None),
    Index("ix_login_attempts_key_at", "key_hash", "at"),
    info={
        "subject": Unlinked(
            "keyed hashes of an address or account, for 15 minutes: no row names a subject",
            clock="at",
        )
    },
)

# Staff of the console (issue 8 item 4): employees, not data subjects of the register. The
# e-mail is kept only as a keyed hash of its own kind (``staff-email``), so no column holds
# it in clear and a staff member who is also a customer is not linked to their account;
# the staff id is what the logs name (``staff:<id>:<role>``). Securing access to customers'
# data is the purpose of every column here (art. 32).
staff_members = Table(
    "staff_members",
    metadata,
    _id(),
    personal(
        "email_bidx",
        LargeBinary(32),
        nullable=False,
        unique=True,
        activity=STAFF_ACCOUNTS,
        category="email_address",
    ),
    personal("role", String(32), nullable=False, activity=STAFF_ACCOUNTS, category=None),
    # argon2id; None until the staff member sets it on the enrolment page
    personal(
        "password_hash", String(200), nullable=True, activity=STAFF_ACCOUNTS, category="password"
    ),
    # the RFC 6238 shared secret (base32), made when the account is created and shown only on
    # the enrolment page; a credential, so it is ``password`` data like the hash beside it
    # the TOTP seed (RFC 6238), encrypted under a system key: a database copy alone cannot
    # generate codes
    personal(
        "totp_secret_enc", LargeBinary, nullable=False, activity=STAFF_ACCOUNTS, category="password"
    ),
    # RFC 6238 §5.2: the time step of the last code accepted; a code is never taken twice
    personal("totp_last_step", BigInteger, nullable=True, activity=STAFF_ACCOUNTS, category=None),
    personal("created_at", UTC_TIME, nullable=False, activity=STAFF_ACCOUNTS, category=None),
    personal("enrolled_at", UTC_TIME, nullable=True, activity=STAFF_ACCOUNTS, category=None),
    personal("disabled_at", UTC_TIME, nullable=True, activity=STAFF_ACCOUNTS, category=None),
    info={"subject": Unlinked("staff accounts: employees, no customer's data", clock="created_at")},
)

_STAFF_ID = BigInteger().with_variant(Integer(), "sqlite")


def _staff_fk() -> Column[int]:
    return technical(
        "staff_id", _STAFF_ID, ForeignKey("staff_members.id", ondelete="CASCADE"), nullable=False
    )


# The one-time enrolment link of a new staff member (``privaat staff create``): only the hash
# of the token is stored, and redeeming it deletes the row (single use).
staff_enrolments = Table(
    "staff_enrolments",
    metadata,
    technical("token_hash", LargeBinary(32), primary_key=True),
    _staff_fk(),
    personal("created_at", UTC_TIME, nullable=False, activity=STAFF_ACCOUNTS, category=None),
    personal("expires_at", UTC_TIME, nullable=False, activity=STAFF_ACCOUNTS, category=None),
    Index("ix_staff_enrolments_staff", "staff_id"),
    info={"subject": Unlinked("staff enrolment links: employees only", clock="expires_at")},
)

# Console sessions: the token's hash, the absolute end (12 h) and the last use (idle 30 min).
staff_sessions = Table(
    "staff_sessions",
    metadata,
    technical("token_hash", LargeBinary(32), primary_key=True),
    _staff_fk(),
    personal("created_at", UTC_TIME, nullable=False, activity=STAFF_ACCOUNTS, category=None),
    personal("last_seen_at", UTC_TIME, nullable=False, activity=STAFF_ACCOUNTS, category=None),
    personal("expires_at", UTC_TIME, nullable=False, activity=STAFF_ACCOUNTS, category=None),
    Index("ix_staff_sessions_staff", "staff_id"),
    info={"subject": Unlinked("staff sessions: employees only", clock="expires_at")},
)

# Every published version of the privacy statement (issue 9; art. 13(3), LEGAL L48): the
# policy as canonical JSON and its SHA-256, recorded at start-up when it is new and never
# changed after (``services.policy_versions``), so /privacy/v/N shows what was published
# at N. The statements are the controller's own text: no column names a person.
policy_versions = Table(
    "policy_versions",
    metadata,
    technical("policy_id", String(64), primary_key=True),
    technical("version", Integer, primary_key=True, autoincrement=False),
    technical("published_at", UTC_TIME, nullable=False),  # first recorded by a running app
    technical("effective", Date, nullable=True),  # the policy's own dates, as it states them
    technical("last_updated", Date, nullable=False),
    technical("text", Text, nullable=False),
    technical("sha256", String(64), nullable=False),
    info={"subject": Unlinked("published privacy statements belong to no subject")},
)

__all__ = [
    "access_log",
    "accounts",
    "audit_log",
    "consent_events",
    "credentials",
    "hold_keys",
    "login_attempts",
    "login_events",
    "metadata",
    "objections",
    "outbox",
    "policy_versions",
    "preferences",
    "restrictions",
    "sessions",
    "staff_enrolments",
    "staff_members",
    "staff_sessions",
    "subject_keys",
    "subject_tokens",
    "subjects",
    "system_keys",
]

# the tables of later issues live in modules of their own, on the same metadata; importing
# them here registers them wherever the metadata is read (migrations, registry, erasure)
from privaat.store import (  # noqa: E402, F401
    tables_breaches,
    tables_business,
    tables_calls,
    tables_campaigns,
    tables_consent_proofs,
    tables_disclosures,
    tables_dpia,
    tables_lifecycle,
    tables_marketing,
    tables_opendsr,
    tables_policy_notices,
    tables_processor_deliveries,
    tables_requests,
    tables_retention,
    tables_rights,
    tables_scans,
    tables_shop,
    tables_sites,
    tables_stores,
    tables_support,
    tables_support_access,
    tables_tasks,
    tables_telemetry,
    tables_visitors,
    tables_watchdog,
)


def _index_subject_references() -> None:
    """Give every subject table an index led by its subject column, unless one leads already.

    The access export, the erasure and ON DELETE CASCADE all find a person's rows by it; at a
    million accounts a table without it is scanned whole on every request (bench/rights_bench).
    A new table gets its index here, and tests/integration/test_migrations.py then asks for the
    migration that creates it.
    """
    for table in metadata.sorted_tables:
        spec = table.info.get("subject")
        if not isinstance(spec, SubjectTable):
            continue
        leading = {next(iter(index.columns)).name for index in table.indexes}
        leading |= {
            next(iter(constraint.columns)).name
            for constraint in table.constraints
            if isinstance(constraint, (PrimaryKeyConstraint, UniqueConstraint))
            and constraint.columns
        }
        if spec.subject_column not in leading:
            Index(f"ix_{table.name}_subject", table.c[spec.subject_column])


_index_subject_references()
