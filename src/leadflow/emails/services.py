"""Use cases of emails: templates, queueing messages, reading them back.

Steps take the caller's unit of work (`uow=`) and never commit; the `do_*` use
cases open it, run the step and commit. Reads take a session. Delivery is in
delivery.py, tracking and unsubscribe in tracking.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.emails.compose import Links, Rendered, merge_values_for, render
from leadflow.emails.domain import (
    CONSENT_ORDER,
    Caught,
    MessageStatus,
    TemplateSource,
    check_source,
    compile_source,
)
from leadflow.emails.models import CaughtEmail, EmailMessage, EmailTemplate
from leadflow.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from leadflow.interactions.domain import InteractionKind
from leadflow.lib.clock import utcnow
from leadflow.lib.normalize import InvalidEmail, normalize_email
from leadflow.registry.domain import Registry
from leadflow.registry.sql import table_for

DELIVER_TASK = "emails.deliver"
MESSAGES: Table = EmailMessage.__table__  # type: ignore[assignment]
QUEUE_CHUNK = 5_000
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


@dataclass(frozen=True)
class MessageRequest:
    """One email to queue: which template to which contact, under a key that makes
    queueing it again a no-op (a journey derives it from the step)."""

    template_id: int
    contact_id: int
    idempotency_key: str
    journey_id: int | None = None
    journey_tile: str | None = None
    # The least consent the contact must have when the message is sent.
    minimum_consent: str | None = None


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
            raise ValidationFailed(f"{name} must be text", field=name)
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


# --- the queue -----------------------------------------------------------------------------


def _insert_ignoring_duplicates(session: Session, rows: list[dict[str, Any]]) -> int:
    dialect = session.get_bind().dialect.name
    base = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(MESSAGES)
    statement = base.on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(
        MESSAGES.c.id
    )
    return len(session.execute(statement, rows).all())


def queue_messages(requests: Sequence[MessageRequest], *, uow: UnitOfWork) -> int:
    """Queue messages set-based; a key already queued is left as it is (INSERT ... ON
    CONFLICT (idempotency_key) DO NOTHING). Returns how many rows were queued.

    Delivery happens after the caller commits (the `emails.deliver` task, and the
    worker's periodic sweep), never inside the caller's transaction.
    """
    for index, request in enumerate(requests):
        if not request.idempotency_key or len(request.idempotency_key) > 200:
            raise ValidationFailed(
                "idempotency_key must be 1 to 200 characters",
                field=f"requests[{index}].idempotency_key",
            )
        if request.minimum_consent is not None and request.minimum_consent not in CONSENT_ORDER:
            raise ValidationFailed(
                f"minimum_consent must be one of {', '.join(CONSENT_ORDER)}",
                field=f"requests[{index}].minimum_consent",
            )
    now = utcnow()
    queued = 0
    for start in range(0, len(requests), QUEUE_CHUNK):
        rows = [
            {
                "idempotency_key": request.idempotency_key,
                "template_id": request.template_id,
                "contact_id": request.contact_id,
                "journey_id": request.journey_id,
                "journey_tile": request.journey_tile,
                "minimum_consent": request.minimum_consent,
                "status": MessageStatus.QUEUED.value,
                "attempts": 0,
                "created_at": now,
            }
            for request in requests[start : start + QUEUE_CHUNK]
        ]
        queued += _insert_ignoring_duplicates(uow.session, rows)
    if queued:
        # A unit without a task queue: the worker's periodic sweep delivers.
        with contextlib.suppress(RuntimeError):
            uow.enqueue_after_commit(DELIVER_TASK)
    return queued


_COUNTED = (
    MessageStatus.QUEUED.value,
    MessageStatus.SENDING.value,
    MessageStatus.SENT.value,
    MessageStatus.BOUNCED.value,
)


def messages_sent_since(
    session: Session, contact_ids: Collection[int], since: datetime
) -> dict[int, int]:
    """Per contact, how many messages were sent (or queued to be) since `since`; contacts
    with none are left out. The journeys' frequency cap reads this."""
    found: dict[int, int] = {}
    ordered = sorted(set(contact_ids))
    for start in range(0, len(ordered), QUEUE_CHUNK):
        chunk = ordered[start : start + QUEUE_CHUNK]
        rows = session.execute(
            select(MESSAGES.c.contact_id, func.count())
            .where(
                MESSAGES.c.contact_id.in_(chunk),
                MESSAGES.c.status.in_(_COUNTED),
                func.coalesce(MESSAGES.c.sent_at, MESSAGES.c.created_at) >= since,
            )
            .group_by(MESSAGES.c.contact_id)
        )
        found.update({int(contact_id): int(count) for contact_id, count in rows})
    return found


do_create_template = in_own_transaction(create_template)
do_update_template = in_own_transaction(update_template)
do_delete_template = in_own_transaction(delete_template)
do_queue_messages = in_own_transaction(queue_messages)


# --- the mail catcher's inbox -----------------------------------------------------------------


def store_caught(caught: Caught, received_at: datetime, *, uow: UnitOfWork) -> CaughtEmail:
    """Keep a message the local mail catcher received."""
    headers = caught.headers
    row = CaughtEmail(
        mail_from=caught.mail_from[:320],
        recipients=", ".join(caught.recipients),
        subject=str(headers.get("Subject") or "")[:500] or None,
        message_id_header=str(headers.get("Message-ID") or "")[:300] or None,
        raw=caught.data.decode("utf-8", "replace"),
        received_at=received_at,
    )
    uow.session.add(row)
    uow.session.flush()
    return row


def list_caught(session: Session, *, limit: int = 100) -> list[CaughtEmail]:
    return list(session.scalars(select(CaughtEmail).order_by(CaughtEmail.id.desc()).limit(limit)))


def get_caught(session: Session, caught_id: int) -> CaughtEmail:
    row = session.get(CaughtEmail, caught_id)
    if row is None:
        raise NotFound(f"No caught email with id {caught_id}", field="id")
    return row


do_store_caught = in_own_transaction(store_caught)


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


# --- messages and stats ---------------------------------------------------------------------


def list_messages(
    session: Session,
    *,
    template_id: int | None = None,
    contact_id: int | None = None,
    journey_id: int | None = None,
    status: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[EmailMessage], int]:
    """A page of messages, newest first, and how many match."""
    if status is not None and status not in {item.value for item in MessageStatus}:
        raise ValidationFailed(
            f"status must be one of {', '.join(item.value for item in MessageStatus)}",
            field="status",
        )
    conditions = []
    if template_id is not None:
        conditions.append(EmailMessage.template_id == template_id)
    if contact_id is not None:
        conditions.append(EmailMessage.contact_id == contact_id)
    if journey_id is not None:
        conditions.append(EmailMessage.journey_id == journey_id)
    if status is not None:
        conditions.append(EmailMessage.status == status)
    total = session.scalar(select(func.count()).select_from(EmailMessage).where(*conditions)) or 0
    rows = session.scalars(
        select(EmailMessage)
        .where(*conditions)
        .order_by(EmailMessage.id.desc())
        .offset(max(offset, 0))
        .limit(max(1, min(limit, 200)))
    )
    return list(rows), int(total)


def message_public(message: EmailMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "template_id": message.template_id,
        "contact_id": message.contact_id,
        "journey_id": message.journey_id,
        "journey_tile": message.journey_tile,
        "idempotency_key": message.idempotency_key,
        "to_address": message.to_address,
        "status": message.status,
        "skip_reason": message.skip_reason,
        "error": message.error,
        "attempts": message.attempts,
        "message_id_header": message.message_id_header,
        "created_at": message.created_at.isoformat(),
        "sent_at": message.sent_at.isoformat() if message.sent_at else None,
        "opened_at": message.opened_at.isoformat() if message.opened_at else None,
    }


STAT_NAMES = ("queued", "sent", "skipped", "bounced", "failed", "opened", "clicked")


def empty_stats() -> dict[str, int]:
    return dict.fromkeys(STAT_NAMES, 0)


def template_stats(
    session: Session, template_ids: Collection[int] | None = None
) -> dict[int, dict[str, int]]:
    """Per template: messages queued, sent, skipped, bounced, failed and opened (at least
    once), and contacts who clicked."""
    conditions = [MESSAGES.c.template_id.in_(sorted(template_ids))] if template_ids else []
    stats: dict[int, dict[str, int]] = {}

    def entry(template_id: int) -> dict[str, int]:
        return stats.setdefault(int(template_id), empty_stats())

    for template_id, status, count in session.execute(
        select(MESSAGES.c.template_id, MESSAGES.c.status, func.count())
        .where(*conditions)
        .group_by(MESSAGES.c.template_id, MESSAGES.c.status)
    ):
        key = "queued" if status == MessageStatus.SENDING.value else status
        entry(template_id)[key] += int(count)
    for template_id, count in session.execute(
        select(MESSAGES.c.template_id, func.count())
        .where(MESSAGES.c.opened_at.is_not(None), *conditions)
        .group_by(MESSAGES.c.template_id)
    ):
        entry(template_id)["opened"] = int(count)
    interactions = table_for("interaction")
    clicked = (
        select(interactions.c.target_id, func.count(func.distinct(interactions.c.contact_id)))
        .where(interactions.c.kind == InteractionKind.EMAIL_CLICKED.value)
        .group_by(interactions.c.target_id)
    )
    if template_ids:
        clicked = clicked.where(interactions.c.target_id.in_([str(i) for i in template_ids]))
    for target_id, count in session.execute(clicked):
        if target_id is not None and str(target_id).isdigit():
            entry(int(target_id))["clicked"] = int(count)
    return stats
