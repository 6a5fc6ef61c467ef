"""Errors a use case raises; the web layer maps each to one problem type.

ServiceError
├── InvalidField        a value is wrong in a way only the service can see (422)
├── InvalidCredentials  e-mail or password wrong, or the account unusable (401)
├── TooManyAttempts     log-in rate limit reached (429, with Retry-After)
├── NotAuthenticated    no valid session (401)
├── NotPermitted        the principal may not act for this subject at all (403)
├── SubjectNotFound     no such data subject (404)
├── DataWithheld        the data's category is restricted for this use (art. 18, 403)
├── StorageFull         no space left where a file was being written; none of it kept (503)
└── Conflict            the change collides with existing data (409)
"""

from __future__ import annotations

import errno
import sqlite3


class ServiceError(Exception):
    """Base of the errors a use case raises on purpose."""


class InvalidField(ServiceError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


class InvalidCredentials(ServiceError):
    def __init__(self) -> None:
        # one message for unknown e-mail, wrong password and closed account: no enumeration
        super().__init__("e-mail address or password is incorrect")


class TooManyAttempts(ServiceError):
    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__("too many log-in attempts; try again later")
        self.retry_after_seconds = retry_after_seconds


class NotAuthenticated(ServiceError):
    def __init__(self) -> None:
        super().__init__("log in first")


class NotPermitted(ServiceError):
    """The principal may not act for this subject (whatever the activity)."""


class SubjectNotFound(ServiceError):
    def __init__(self) -> None:
        super().__init__("no such data subject")


class DataWithheld(ServiceError):
    """A column whose data category is restricted (art. 18(1)) was asked for."""

    def __init__(self, column: str) -> None:
        super().__init__(f"{column} is restricted (GDPR art. 18) and is not used meanwhile")
        self.column = column


class Conflict(ServiceError):
    pass


# a write refused for want of space: the device full, or the user's quota (EDQUOT)
_NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})


class StorageFull(ServiceError):
    """No space left on the device a file was being written to (issue 16 item 4): whatever
    was written of it is removed, nothing refers to it; free space and run it again."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"no space left on the device while writing {what}: nothing of it was kept; "
            "free some space and try again"
        )
        self.what = what


def no_space(error: BaseException) -> bool:
    """Whether ``error`` is a write refused for want of space (an OSError's ENOSPC or EDQUOT,
    SQLite's SQLITE_FULL when it writes a file of its own)."""
    if isinstance(error, OSError):
        return error.errno in _NO_SPACE
    if isinstance(error, sqlite3.Error):
        return getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    return False
