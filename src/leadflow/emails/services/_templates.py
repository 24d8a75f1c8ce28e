"""Templates: written, read, previewed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.emails.compose import Links, Rendered, merge_values_for, render
from leadflow.emails.domain import TemplateSource, check_source, compile_source
from leadflow.emails.models import EmailTemplate
from leadflow.emails.services._queue import MESSAGES
from leadflow.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from leadflow.lib.clock import utcnow
from leadflow.lib.normalize import InvalidEmail, normalize_email
from leadflow.registry.domain import Registry

TEMPLATE_FIELDS = (
    "name",
    "subject",
    "html_body",
    "text_body",
    "from_name",
    "from_address",
    "reply_to",
)
_LIMITS = {"name": 200, "subject": 500, "from_name": 200, "from_address": 320, "reply_to": 320}

# --- templates -----------------------------------------------------------------------------


def list_templates(session: Session) -> list[EmailTemplate]:
    return list(session.scalars(select(EmailTemplate).order_by(EmailTemplate.name)))


def get_template(session: Session, template_id: int) -> EmailTemplate:
    template = session.get(EmailTemplate, template_id)
    if template is None:
        raise NotFound(f"No email template with id {template_id}", field="template_id")
    return template


def template_public(template: EmailTemplate) -> dict[str, Any]:
    return {
        "id": template.id,
        "name": template.name,
        "subject": template.subject,
        "html_body": template.html_body,
        "text_body": template.text_body,
        "from_name": template.from_name,
        "from_address": template.from_address,
        "reply_to": template.reply_to,
        "created_at": template.created_at.isoformat(),
        "updated_at": template.updated_at.isoformat(),
    }


def _clean(data: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    unknown = [name for name in data if name not in TEMPLATE_FIELDS]
    if unknown:
        raise ValidationFailed(
            f"Unknown field '{unknown[0]}' on an email template",
            code=ErrorCode.UNKNOWN_FIELD,
            field=unknown[0],
        )
    values: dict[str, Any] = {}
    for name in TEMPLATE_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if value is not None and not isinstance(value, str):
            raise ValidationFailed(f"{name} must be text", field=name, code=ErrorCode.NOT_TEXT)
        if isinstance(value, str) and "\x00" in value:
            raise ValidationFailed(
                f"{name} holds a NUL character", code=ErrorCode.NUL_CHARACTER, field=name
            )
        text = value.strip() if isinstance(value, str) and name != "html_body" else value
        if name in _LIMITS and text and len(text) > _LIMITS[name]:
            raise ValidationFailed(
                f"{name} is longer than {_LIMITS[name]} characters",
                code=ErrorCode.OUT_OF_RANGE,
                field=name,
            )
        if name in ("from_address", "reply_to") and text:
            try:
                text = normalize_email(text)
            except InvalidEmail as exc:
                raise ValidationFailed(
                    f"{name} is not an email address: {exc}",
                    code=ErrorCode.INVALID_EMAIL,
                    field=name,
                ) from None
        if name in ("name", "subject", "html_body", "from_name", "from_address") and not text:
            raise ValidationFailed(f"{name} is required", code=ErrorCode.REQUIRED, field=name)
        values[name] = text or None if name in ("text_body", "reply_to") else text
    if creating:
        for name in ("name", "subject", "html_body", "from_name", "from_address"):
            if name not in values:
                raise ValidationFailed(f"{name} is required", code=ErrorCode.REQUIRED, field=name)
    return values


def _check_name(session: Session, name: str, template_id: int | None) -> None:
    existing = session.scalar(select(EmailTemplate.id).where(EmailTemplate.name == name))
    if existing is not None and existing != template_id:
        raise Conflict(
            f"An email template named '{name}' exists",
            code=ErrorCode.DUPLICATE,
            field="name",
            existing_id=existing,
        )


def create_template(data: Mapping[str, Any], *, uow: UnitOfWork) -> EmailTemplate:
    """Create an email template; subject and bodies must parse (a 422 names the field and
    line otherwise)."""
    values = _clean(data, creating=True)
    check_source(TemplateSource(values["subject"], values["html_body"], values.get("text_body")))
    _check_name(uow.session, values["name"], None)
    now = utcnow()
    template = EmailTemplate(**values, created_at=now, updated_at=now)
    uow.session.add(template)
    uow.session.flush()
    return template


def update_template(
    template_id: int, changes: Mapping[str, Any], *, uow: UnitOfWork
) -> EmailTemplate:
    """Change some parts of a template. Messages not yet sent use the new version."""
    template = get_template(uow.session, template_id)
    values = _clean(changes, creating=False)
    merged = {name: values.get(name, getattr(template, name)) for name in TEMPLATE_FIELDS}
    check_source(TemplateSource(merged["subject"], merged["html_body"], merged["text_body"]))
    if "name" in values:
        _check_name(uow.session, values["name"], template_id)
    for name, value in values.items():
        setattr(template, name, value)
    template.updated_at = utcnow()
    uow.session.flush()
    return template


def delete_template(template_id: int, *, uow: UnitOfWork) -> None:
    """Delete a template no message was ever made from (their history names it)."""
    template = get_template(uow.session, template_id)
    used = uow.session.scalar(
        select(func.count()).select_from(MESSAGES).where(MESSAGES.c.template_id == template_id)
    )
    if used:
        raise Conflict(
            f"{used} messages were made from this template; it is kept for their history",
            code=ErrorCode.HAS_DEPENDENTS,
            field="template_id",
        )
    uow.session.delete(template)
    uow.session.flush()


do_create_template = in_own_transaction(create_template)
do_update_template = in_own_transaction(update_template)
do_delete_template = in_own_transaction(delete_template)

# --- preview and test sends -----------------------------------------------------------------


def draft_source(data: Mapping[str, Any], base: EmailTemplate | None = None) -> TemplateSource:
    """The template parts to preview: what the editor holds, else the saved template's."""

    def part(name: str) -> str | None:
        value = data.get(name)
        if isinstance(value, str):
            return value
        return getattr(base, name) if base is not None else None

    subject, html = part("subject") or "", part("html_body") or ""
    return TemplateSource(subject, html, part("text_body") or None)


def preview(
    session: Session,
    registry: Registry,
    source: TemplateSource,
    contact_id: int | None,
    links: Links,
) -> Rendered:
    """The subject, HTML and text a contact would receive (links not tracked)."""
    values: Mapping[str, Any] = {}
    if contact_id is not None:
        found = merge_values_for(session, registry, [contact_id])
        if contact_id not in found:
            raise NotFound(f"No contact with id {contact_id}", field="contact_id")
        values = found[contact_id]
    return render(compile_source(source), values, links=links, message_id=None)
