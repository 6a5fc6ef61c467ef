"""Password hashing with argon2id (RFC 9106), and verification without a timing oracle."""

from __future__ import annotations

import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10  # NIST SP 800-63B §5.1.1.2 asks at least 8; we ask a little more
MAX_LENGTH = 256


# argon2id takes memory_cost KiB per hash: 64 MiB each, 40 at once took a server from 96 MiB
# to 1 GiB (issue 5 item 3). At most this many run at once; the others wait their turn.
MAX_CONCURRENT_HASHES = 4


class Passwords:
    """Hashes and verifies passwords; the cost is configurable so tests can run fast.

    At most ``max_concurrent`` hashes run at once in this process, so memory stays bounded
    (``max_concurrent`` x ``memory_cost_kib``) however many requests arrive together.
    """

    def __init__(
        self,
        *,
        time_cost: int = 3,
        memory_cost_kib: int = 65536,
        max_concurrent: int = MAX_CONCURRENT_HASHES,
    ) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost_kib)
        self._slots = threading.BoundedSemaphore(max_concurrent)
        self.memory_cost_kib = memory_cost_kib
        # verified against when the account does not exist: the same work, the same time
        self._dummy = self._hasher.hash("no account has this password")

    def hash(self, password: str) -> str:
        with self._slots:
            return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; with no stored hash, does the same work and fails."""
        with self._slots:
            try:
                matched = self._hasher.verify(stored_hash or self._dummy, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False
        return matched and bool(stored_hash)

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)


def check_strength(password: str) -> None:
    """Raise ValueError when a new password is too short or too long."""
    if len(password) < MIN_LENGTH:
        raise ValueError(f"password must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise ValueError(f"password must be at most {MAX_LENGTH} characters")
