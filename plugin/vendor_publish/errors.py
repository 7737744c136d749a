"""Exceptions the core raises; each message is meant to be read by an artist."""

from __future__ import annotations


class VendorPublishError(Exception):
    """Base of every error this package raises on purpose."""

    #: A short "what to do" hint, shown under the message.
    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class ConfigError(VendorPublishError):
    """A setting or the studio profile is missing or wrong."""


class UnsafePathError(VendorPublishError):
    """A destination would leave the upload root, or a path cannot be mapped safely."""


class PlanChangedError(VendorPublishError):
    """Files changed between planning and submission."""


class AccsynError(VendorPublishError):
    """Anything that went wrong talking to accsyn."""


class ConnectionFailed(AccsynError):
    """The server could not be reached (DNS, refused, reset, timeout)."""


class AuthenticationFailed(AccsynError):
    """Wrong user, API key or workspace."""


class PermissionDenied(AccsynError):
    """The service refused an operation for lack of access (names the path when known)."""

    def __init__(self, message: str, *, path: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.path = path


class RateLimited(AccsynError):
    """HTTP 429 persisted past the retry budget."""

    def __init__(self, message: str, *, retry_after: float | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        #: Seconds the service asked us to wait (``Retry-After``), when it said.
        self.retry_after = retry_after


class ServiceError(AccsynError):
    """The service answered with an error message (``message`` / ``exception``)."""

    def __init__(self, message: str, *, status_code: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status_code = status_code


class MalformedResponse(AccsynError):
    """The service answered something that is not accsyn's JSON envelope."""


class SubmissionUncertain(AccsynError):
    """A job-creating request may or may not have reached the service; it was not retried blindly."""

    def __init__(
        self,
        message: str,
        *,
        entitytype: str | None = None,
        event_id: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        #: What was being created (``transfer``...), and the event id (``eid``) that was sent.
        self.entitytype = entitytype
        self.event_id = event_id


class SslUnavailable(ConfigError):
    """This Python has no working ``ssl`` module, so HTTPS (and httpx) cannot work."""
