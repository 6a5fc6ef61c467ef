"""Errors a use case raises; the web layer maps each to one problem type.

ServiceError
├── InvalidField        a value is wrong in a way only the service can see (422)
├── InvalidCredentials  e-mail or password wrong, or the account unusable (401)
├── TooManyAttempts     log-in rate limit reached (429, with Retry-After)
├── NotAuthenticated    no valid session (401)
├── NotPermitted        the principal may not act for this subject at all (403)
├── SubjectNotFound     no such data subject (404)
├── DataWithheld        the data's category is restricted for this use (art. 18, 403)
└── Conflict            the change collides with existing data (409)
"""

from __future__ import annotations


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
