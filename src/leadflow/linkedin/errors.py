"""Errors of the LinkedIn capability.

LinkedInApiError          LinkedIn answered with an error we cannot retry away
├── TokenExpired          401: the access token expired or was revoked
├── AuthorizationFailed   the token endpoint refused a code or refresh token
├── Throttled             429: still throttled after backing off
└── LinkedInUnavailable   5xx or no answer, after retries
InvalidSignature          a webhook whose X-LI-Signature does not check out
"""

from __future__ import annotations

from leadflow.errors import ErrorCode, LeadflowError


class LinkedInApiError(LeadflowError):
    """A call to LinkedIn failed; `status` is its HTTP status (0: no answer)."""

    code = ErrorCode.CONFLICT
    http_status = 502
    title = "LinkedIn error"

    def __init__(self, message: str, *, status: int = 0) -> None:
        super().__init__(message, field="connection", extra={"linkedin_status": status})
        self.status = status


class TokenExpired(LinkedInApiError):
    """LinkedIn refused the access token: it expired or was revoked; replace it."""


class AuthorizationFailed(LinkedInApiError):
    """LinkedIn's token endpoint refused the grant: an authorization code used, expired
    or not ours, a refresh token expired or revoked, or the app's credentials."""

    def __init__(self, message: str, *, status: int = 0, reason: str = "") -> None:
        super().__init__(message, status=status)
        # LinkedIn's own words: its error code and description.
        self.reason = reason or message


class Throttled(LinkedInApiError):
    """LinkedIn kept answering 429 after the backoff; the next run resumes."""


class LinkedInUnavailable(LinkedInApiError):
    """LinkedIn answered 5xx (or not at all) after the retries."""


class InvalidSignature(LeadflowError):
    """The webhook's X-LI-Signature is missing or wrong: the notification is dropped."""

    code = ErrorCode.UNAUTHENTICATED
    http_status = 401
    title = "Invalid signature"
