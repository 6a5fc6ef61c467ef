"""Which processing activity each table and column serves (GDPR art. 5(2), 30; LEGAL L1).

Every column of every table is listed: personal columns with the activity of the policy
file that justifies holding them, technical columns (keys, ids, timestamps of technical
records) as ``TECHNICAL``. A test fails when a column is added without an entry here, or
when an entry names an activity the policy does not declare.
"""

from __future__ import annotations

from types import MappingProxyType

TECHNICAL = "technical"  # holds no personal data of its own: keys, ids, hashes of tokens

# table → {column → activity id or TECHNICAL}
DATA_MAP = MappingProxyType(
    {
        "subjects": {
            "id": TECHNICAL,
            "pseudonym": TECHNICAL,
            "created_at": "account",
            "minor": "minor_protection",  # P18
            "restricted": "rights_handling",  # GDPR art. 18
            "legal_hold": "legal_claims",  # art. 17(3)(e)
        },
        "subject_keys": {
            "subject_id": TECHNICAL,
            "master_key_id": TECHNICAL,
            "wrapped_key": TECHNICAL,
        },
        "system_keys": {"name": TECHNICAL, "master_key_id": TECHNICAL, "wrapped_key": TECHNICAL},
        "accounts": {
            "subject_id": TECHNICAL,
            "email_bidx": "login_security",  # P2: log-in by e-mail
            "email_enc": "account",  # P1
            "name_enc": "account",
            "street_enc": "account",
            "postal_code_enc": "account",
            "city_enc": "account",
            "phone_enc": "account",
            "vat_number_enc": "account",
            "display_name_enc": "important_notices",  # P3: shown beside comments
            "birth_date_enc": "minor_protection",  # P18
            "age_declared_16_plus": "minor_protection",
            "language": "account",
            "status": "account",
            "created_at": "account",
            "closed_at": "account",
            "email_verified": "login_security",
        },
        "credentials": {
            "subject_id": TECHNICAL,
            "password_hash": "login_security",  # P2
            "changed_at": "login_security",
        },
        "sessions": {
            "token_hash": TECHNICAL,
            "subject_id": TECHNICAL,
            "created_at": "login_security",
            "expires_at": "login_security",
            "device_hash": "login_security",
        },
        "preferences": {
            "subject_id": TECHNICAL,
            "document_enc": "marketing_selection",  # P4: stated preferences
            "updated_at": "marketing_selection",
        },
        "login_events": {
            "id": TECHNICAL,
            "subject_id": TECHNICAL,
            "at": "datacenter_login_location",  # P9
            "ip_enc": "datacenter_login_location",
            "ip_truncated_enc": "datacenter_login_location",
            "country_enc": "datacenter_login_location",
            "city_enc": "datacenter_login_location",
            "device_hash": "login_security",  # P3: notice of a new device
            "new_device": "login_security",
        },
        "consent_events": {
            "id": TECHNICAL,
            "subject_id": TECHNICAL,
            "activity": "consent_records",  # LEGAL L7
            "given": "consent_records",
            "consent_version": "consent_records",
            "text_sha256": "consent_records",
            "channel": "consent_records",
            "at": "consent_records",
            "expires_at": "consent_records",
        },
        "objections": {
            "subject_id": TECHNICAL,
            "activity": "rights_handling",  # art. 21
            "at": "rights_handling",
            "compelling_grounds": "rights_handling",
        },
        "access_log": {
            "id": TECHNICAL,
            "at": "security_logging",  # art. 5(2), 32: who read what
            "actor": "security_logging",
            "activity": "security_logging",
            "subject_pseudonym": "security_logging",
            "operation": "security_logging",
        },
        "audit_log": {
            "seq": TECHNICAL,
            "at": "security_logging",
            "actor": "security_logging",
            "action": "security_logging",
            "subject_pseudonym": "security_logging",
            "detail": "security_logging",
            "prev_hash": TECHNICAL,
            "hash": TECHNICAL,
        },
        "outbox": {
            "id": TECHNICAL,
            "subject_id": TECHNICAL,
            "activity": TECHNICAL,  # names the activity each message serves
            "template": "important_notices",  # P3
            "message_enc": "important_notices",
            "created_at": "important_notices",
            "sent_at": "important_notices",
            "attempts": TECHNICAL,
        },
        "login_attempts": {
            "id": TECHNICAL,
            "key_hash": "security_logging",  # P2: rate limiting
            "at": "security_logging",
        },
    }
)
