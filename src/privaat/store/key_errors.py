"""The errors of key handling, one tree for the master key, the data keys and rotation.

KeyStoreError
├── MasterKeyConfigError      the configured master key cannot be used (message says why)
│   ├── MasterKeyMissing      none configured where one is required, or its file is gone
│   └── MasterKeyFileInsecure the key file is open to group or others (production)
├── SubjectKeyMissing         the subject's key is gone: shredded, or never created
├── WrongMasterKey            a key row is wrapped by another master key than ours
└── KeyRotationError          rotation refused; nothing was changed
"""

from __future__ import annotations

__all__ = [
    "KeyRotationError",
    "KeyStoreError",
    "MasterKeyConfigError",
    "MasterKeyFileInsecure",
    "MasterKeyMissing",
    "SubjectKeyMissing",
    "WrongMasterKey",
]


class KeyStoreError(Exception):
    """A key could not be loaded, found or rotated; the message says what to do."""


class MasterKeyConfigError(KeyStoreError):
    """The configured master key cannot be used."""


class MasterKeyMissing(MasterKeyConfigError):
    """No master key where one is required."""


class MasterKeyFileInsecure(MasterKeyConfigError):
    """The master key file can be read or written by group or others."""


class SubjectKeyMissing(KeyStoreError, LookupError):
    """The subject's data key is gone (shredded) or was never created."""


class WrongMasterKey(KeyStoreError):
    """A key row is wrapped by a master key other than the one this process runs with."""


class KeyRotationError(KeyStoreError):
    """Rotation refused before or while re-wrapping; the caller's transaction must roll back."""
