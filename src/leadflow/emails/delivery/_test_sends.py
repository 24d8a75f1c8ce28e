"""Test sends: a template or the editor's draft sent now to one address, nothing recorded."""

from __future__ import annotations

import smtplib
import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from leadflow.dependencies import Dependencies
from leadflow.emails.compose import Links, mime_bytes, valid_address
from leadflow.emails.domain import TemplateSource, message_id_header
from leadflow.emails.errors import SmtpUnavailable
from leadflow.emails.models import EmailTemplate
from leadflow.emails.smtp import Mailer, Outcome, SendResult, SmtpConfig
from leadflow.errors import ErrorCode, ValidationFailed


def send_test(
    container: Dependencies,
    source: TemplateSource,
    *,
    from_name: str,
    from_address: str,
    reply_to: str | None,
    contact_id: int | None,
    to_address: str,
) -> SendResult:
    """Send the template as `contact_id` would receive it to `to_address`, now, with
    "[Test]" before the subject; nothing is recorded."""
    from leadflow.emails.services import preview

    address = to_address.strip()
    if not valid_address(address):
        raise ValidationFailed(
            "to is not an email address", code=ErrorCode.INVALID_EMAIL, field="to"
        )
    links = Links(container.settings.public_url, container.settings.effective_secret_key)
    with container.read_session() as session:
        rendered = preview(
            session, container.registry_cache.get(session), source, contact_id, links
        )
    rendered = replace(rendered, subject=f"[Test] {rendered.subject}")
    data = mime_bytes(
        rendered,
        from_name=from_name,
        from_address=from_address,
        to_address=address,
        reply_to=reply_to,
        message_id=message_id_header(f"test:{uuid.uuid4().hex}", from_address),
        unsubscribe_url=None,
    )
    settings = container.settings
    try:
        with Mailer(SmtpConfig.from_settings(settings)) as mailer:
            result = mailer.send(from_address, address, data)
    except (OSError, smtplib.SMTPException) as exc:
        raise SmtpUnavailable(
            f"cannot reach the SMTP server {settings.smtp_host}:{settings.smtp_port}: {exc}"
        ) from None
    if result.outcome is not Outcome.DELIVERED:
        raise SmtpUnavailable(f"the SMTP server answered {result.code} {result.reply}")
    return result


# What a draft must hold before a test of it can go out, and the field that names it.
_DRAFT_NEEDS = (
    ("subject", "A test needs a subject"),
    ("html_body", "A test needs an HTML body"),
    ("from_address", "A test needs the sender address"),
)


def send_draft_test(
    container: Dependencies,
    draft: Mapping[str, Any],
    base: EmailTemplate | None,
    *,
    contact_id: int | None,
    to_address: str,
) -> SendResult:
    """Send a test of what the editor holds now, saved or not: the draft's parts win over
    the saved template's (`base`), as in the preview."""

    def part(name: str) -> str:
        value = draft.get(name)
        if isinstance(value, str) and value.strip():
            return value
        saved = getattr(base, name, None) if base is not None else None
        return saved if isinstance(saved, str) else ""

    for name, message in _DRAFT_NEEDS:
        if not part(name).strip():
            raise ValidationFailed(message, field=name, code=ErrorCode.REQUIRED)
    sender = part("from_address").strip()
    if not valid_address(sender):
        raise ValidationFailed(
            "from_address is not an email address",
            code=ErrorCode.INVALID_EMAIL,
            field="from_address",
        )
    return send_test(
        container,
        TemplateSource(part("subject"), part("html_body"), part("text_body") or None),
        from_name=part("from_name").strip(),
        from_address=sender,
        reply_to=part("reply_to").strip() or None,
        contact_id=contact_id,
        to_address=to_address,
    )
