"""The telemetry tables (issue 12 item 1), on the shared metadata of ``privaat.store.tables``.

    telemetry_services          the sending services: name, kinds, SHA-256 of the key (no subject)
    voip_sync_events            P6: per sync, under voip_sync_telemetry (90 days)
    app_analytics_events        P15: per statistic, under app_hosting_analytics (6 months)
    telemetry_precise_locations L21: a device's precise position, only under the person's
                                consent to device_precise_location (30 days)
    service_logins              P9, L35: log-ins to hosted servers, webmail, the PBX: time,
                                service and outcome under security_logging; the IP and the
                                place under datacenter_login_location (6 months; the full
                                IP 30 days), left empty after an objection to it

Every value about the person is ciphertext under the subject's data key (``_enc``), so an
erasure's crypto-shredding reaches them and the registry's walks export and erase them with
no list kept by hand. ``(service_id, event_id)`` is unique: the sender's event id is the
idempotency key of a retried batch. ``ip_enc`` holds the full address only for the
troubleshooting window; the minimisation job then empties it and ``ip_network_enc`` (/24,
/48) stays (L23).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
)

from privaat.store.registry import SubjectTable, Unlinked, personal, technical
from privaat.store.tables import UTC_TIME, _subject_fk, metadata

__all__ = [
    "app_analytics_events",
    "service_logins",
    "telemetry_precise_locations",
    "telemetry_services",
    "voip_sync_events",
]

VOIP = "voip_sync_telemetry"
APPS = "app_hosting_analytics"
PRECISE = "device_precise_location"
LOGIN_PLACE = "datacenter_login_location"
SECURITY = "security_logging"
_KEY = BigInteger().with_variant(Integer(), "sqlite")

telemetry_services = Table(
    "telemetry_services",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    technical("name", String(32), nullable=False, unique=True),
    # the event kinds the service may send, comma-separated (e.g. "voip_sync")
    technical("kinds", String(200), nullable=False),
    technical("created_at", UTC_TIME, nullable=False),
    # SHA-256 of the 256-bit key, as the OpenDSR keys: shown once, stored nowhere
    technical("key_hash", LargeBinary(32), nullable=False, unique=True),
    technical("revoked_at", UTC_TIME, nullable=True),
    info={
        "subject": Unlinked(
            "the provider's own sending services (a device platform, an app backend): no person",
            clock="created_at",
        )
    },
)


def _service_fk() -> Column[int]:
    return technical(
        "service_id", _KEY, ForeignKey("telemetry_services.id", ondelete="RESTRICT"), nullable=False
    )


voip_sync_events = Table(
    "voip_sync_events",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    _service_fk(),
    technical("event_id", String(36), nullable=False),  # the sender's UUID: idempotency key
    _subject_fk(),
    personal("at", UTC_TIME, nullable=False, activity=VOIP, category=None),
    personal("received_at", UTC_TIME, nullable=False, activity=VOIP, category=None),
    # the full address within the troubleshooting window only (L23); then NULL
    personal("ip_enc", LargeBinary, nullable=True, activity=VOIP, category="ip_address"),
    personal("ip_network_enc", LargeBinary, nullable=False, activity=VOIP, category="ip_address"),
    personal("location_enc", LargeBinary, nullable=True, activity=VOIP, category="coarse_location"),
    # device model, OS, firmware and the kind of network, as one JSON value
    personal(
        "device_enc", LargeBinary, nullable=False, activity=VOIP, category="device_information"
    ),
    personal("log_enc", LargeBinary, nullable=True, activity=VOIP, category="diagnostic_logs"),
    # idempotency: a retried event carries its own time again; the time is in the key because
    # on PostgreSQL the table is partitioned by it (store.partitions)
    UniqueConstraint("service_id", "event_id", "at", name="uq_voip_sync_events_service_event"),
    Index("ix_voip_sync_events_subject_id", "subject_id"),
    Index("ix_voip_sync_events_received_at", "received_at"),
    info={"subject": SubjectTable("subject_id", clock="received_at")},
)

app_analytics_events = Table(
    "app_analytics_events",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    _service_fk(),
    technical("event_id", String(36), nullable=False),
    _subject_fk(),
    personal("at", UTC_TIME, nullable=False, activity=APPS, category=None),
    personal("received_at", UTC_TIME, nullable=False, activity=APPS, category=None),
    # no IP column: the policy lists no ip_address for app statistics (L20); the IP gives
    # the coarse location and is dropped
    personal("location_enc", LargeBinary, nullable=True, activity=APPS, category="coarse_location"),
    # the app, its version and the device, as one JSON value
    personal(
        "device_enc", LargeBinary, nullable=False, activity=APPS, category="device_information"
    ),
    personal("usage_enc", LargeBinary, nullable=False, activity=APPS, category="usage_data"),
    personal("language_enc", LargeBinary, nullable=True, activity=APPS, category="language"),
    personal("log_enc", LargeBinary, nullable=True, activity=APPS, category="diagnostic_logs"),
    UniqueConstraint("service_id", "event_id", "at", name="uq_app_analytics_events_service_event"),
    Index("ix_app_analytics_events_subject_id", "subject_id"),
    Index("ix_app_analytics_events_received_at", "received_at"),
    info={"subject": SubjectTable("subject_id", clock="received_at")},
)

telemetry_precise_locations = Table(
    "telemetry_precise_locations",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    _service_fk(),
    technical("event_id", String(36), nullable=False),  # the event it came with
    technical("kind", String(32), nullable=False),
    _subject_fk(),
    personal("received_at", UTC_TIME, nullable=False, activity=PRECISE, category=None),
    personal(
        "location_enc", LargeBinary, nullable=False, activity=PRECISE, category="precise_location"
    ),
    UniqueConstraint("service_id", "event_id", name="uq_telemetry_precise_locations_event"),
    Index("ix_telemetry_precise_locations_subject_id", "subject_id"),
    info={"subject": SubjectTable("subject_id", clock="received_at")},
)

service_logins = Table(
    "service_logins",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    _service_fk(),
    technical("event_id", String(36), nullable=False),
    _subject_fk(),
    # the security log's part: when, which service, how it went (kept after an objection)
    personal("at", UTC_TIME, nullable=False, activity=SECURITY, category="login_history"),
    personal("received_at", UTC_TIME, nullable=False, activity=SECURITY, category=None),
    personal("service", String(16), nullable=False, activity=SECURITY, category="login_history"),
    personal("outcome", String(16), nullable=False, activity=SECURITY, category="login_history"),
    # P9, L35: where from; NULL when the person objected to datacenter_login_location; the
    # full address only for the policy's 30 days (L23), the /24 or /48 until the end
    personal("ip_enc", LargeBinary, nullable=True, activity=LOGIN_PLACE, category="ip_address"),
    personal(
        "ip_network_enc", LargeBinary, nullable=True, activity=LOGIN_PLACE, category="ip_address"
    ),
    personal(
        "location_enc", LargeBinary, nullable=True, activity=LOGIN_PLACE, category="coarse_location"
    ),
    UniqueConstraint("service_id", "event_id", "at", name="uq_service_logins_service_event"),
    Index("ix_service_logins_subject_at", "subject_id", "at"),
    Index("ix_service_logins_received_at", "received_at"),
    info={"subject": SubjectTable("subject_id", clock="at")},
)
