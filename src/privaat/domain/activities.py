"""The ids of the processing activities the engine's own services and records serve.

A provider's policy declares these ids (in its own words, with its own retention and
recipients): the tables of the engine name them in the data registry, and the services
that run name them when they open data. Which ones a policy must declare depends on the
services it enables (``privaat.services.activities.require_activities``).
"""

from __future__ import annotations

__all__ = [
    "ACCOUNT",
    "CONSENT_RECORDS",
    "LEGAL_CLAIMS",
    "LOGIN",
    "LOGIN_LOCATION",
    "MINOR_PROTECTION",
    "NOTICES",
    "RIGHTS",
    "SECURITY_LOG",
    "STAFF_ACCOUNTS",
]

ACCOUNT = "account"  # P1, P20: the account's data
LOGIN = "login_security"  # P2: e-mail and password to log in, to keep the account safe
NOTICES = "important_notices"  # P3: security notices
LOGIN_LOCATION = "datacenter_login_location"  # P9: where a log-in came from (optional)
RIGHTS = "rights_handling"  # P22: data-subject requests, erasure among them (art. 12-22)
SECURITY_LOG = "security_logging"  # art. 5(2), 32: the access log, the audit trail, limits
CONSENT_RECORDS = "consent_records"  # art. 7(1): the proof of every consent and withdrawal
MINOR_PROTECTION = "minor_protection"  # P18, art. 8: the age declaration and the minor flag
LEGAL_CLAIMS = "legal_claims"  # art. 17(3)(e): the legal-hold flag
STAFF_ACCOUNTS = "staff_accounts"  # the console's staff: log-in, TOTP, sessions (employees)
