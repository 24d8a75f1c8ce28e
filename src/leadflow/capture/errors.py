"""Errors of the capture capability."""

from __future__ import annotations

from leadflow.errors import ErrorCode, LeadflowError


class RateLimited(LeadflowError):
    """Too many submissions from one address or to one form; retry after `retry_after` s."""

    code = ErrorCode.RATE_LIMITED
    http_status = 429
    title = "Too many requests"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, extra={"retry_after": retry_after})
        self.retry_after = retry_after


class EventFull(LeadflowError):
    """The event has no seat left; the caller may join the waitlist instead."""

    code = ErrorCode.EVENT_FULL
    http_status = 409
    title = "Event full"
