"""Errors of emails.

TemplateInvalid (ValidationFailed, 422)  a template field fails to parse (`field`, `line`)
BadToken (NotFound, 404)                 a tracking or unsubscribe token does not verify
"""

from __future__ import annotations

from leadflow.errors import ErrorCode, LeadflowError, NotFound, ValidationFailed


class TemplateInvalid(ValidationFailed):
    """A subject or body is not a valid template; `field` and `line` say where."""


class BadToken(NotFound):
    """A tracking or unsubscribe link was forged, tampered with or cut short."""


class SmtpUnavailable(LeadflowError):
    """The SMTP server did not answer, or refused the message outright."""

    code = ErrorCode.SMTP_UNAVAILABLE
    http_status = 503
    title = "SMTP server unavailable"
