"""Messages and their stats, read back per template."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadflow.emails.domain import MessageStatus
from leadflow.emails.models import EmailMessage
from leadflow.emails.services._queue import MESSAGES
from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.interactions.domain import InteractionKind
from leadflow.registry.sql import table_for


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
            code=ErrorCode.NOT_A_CHOICE,
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
