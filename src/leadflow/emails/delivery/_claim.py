"""Claiming: a worker takes a batch of due messages, skipping those the contact may not receive."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork
from leadflow.emails.compose import valid_address
from leadflow.emails.delivery._batch import MESSAGES, Claimed
from leadflow.emails.domain import MessageStatus, skip_reason
from leadflow.lib.clock import utcnow
from leadflow.registry.sql import table_for


def _due(now: datetime) -> Any:
    return (MESSAGES.c.status == MessageStatus.QUEUED.value) & (
        MESSAGES.c.claimed_at.is_(None) | (MESSAGES.c.claimed_at <= now)
    )


def queued_count(session: Session) -> int:
    return int(
        session.scalar(select(func.count()).select_from(MESSAGES).where(_due(utcnow()))) or 0
    )


def claim_batch(worker: str, limit: int, *, uow: UnitOfWork) -> tuple[list[Claimed], int]:
    """Claim up to `limit` due messages for `worker` (SKIP LOCKED on PostgreSQL; SQLite's
    one writer serialises claims). Consent and do-not-email are read now, at send
    time: a message the contact may not receive is skipped with the reason.
    Returns the claimed messages and how many were skipped."""
    session = uow.session
    now = utcnow()
    ids = _lock_due(session, now, limit)
    if not ids:
        return [], 0
    contacts = table_for("contact")
    claimed, skipped = _sort_out(_with_recipients(session, contacts, ids))
    for why, skipped_ids in skipped.items():
        session.execute(
            update(MESSAGES)
            .where(MESSAGES.c.id.in_(skipped_ids))
            .values(status=MessageStatus.SKIPPED.value, skip_reason=why, claimed_at=now)
        )
    if claimed:
        _mark_sending(session, contacts, claimed, worker, now)
    return claimed, sum(len(value) for value in skipped.values())


def _lock_due(session: Session, now: datetime, limit: int) -> list[int]:
    """The ids of up to `limit` due messages, locked for this worker."""
    return list(
        session.scalars(
            select(MESSAGES.c.id)
            .where(_due(now))
            .order_by(MESSAGES.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )


def _with_recipients(session: Session, contacts: Table, ids: Sequence[int]) -> Sequence[Any]:
    """The messages with their contact's address, do-not-email and consent, read now."""
    return session.execute(
        select(
            MESSAGES.c.id,
            MESSAGES.c.template_id,
            MESSAGES.c.contact_id,
            MESSAGES.c.idempotency_key,
            MESSAGES.c.journey_id,
            MESSAGES.c.journey_tile,
            MESSAGES.c.minimum_consent,
            contacts.c.email,
            contacts.c.do_not_email,
            contacts.c.consent,
        )
        .join(contacts, contacts.c.id == MESSAGES.c.contact_id)
        .where(MESSAGES.c.id.in_(ids))
        .order_by(MESSAGES.c.id)
    ).all()


def _sort_out(rows: Sequence[Any]) -> tuple[list[Claimed], dict[str, list[int]]]:
    """The messages to send, and those to skip by reason."""
    claimed: list[Claimed] = []
    skipped: dict[str, list[int]] = {}
    for row in rows:
        address = (row.email or "").strip()
        reason = skip_reason(
            address=address if valid_address(address) else None,
            do_not_email=bool(row.do_not_email),
            consent=row.consent,
            minimum=row.minimum_consent,
        )
        if reason is not None:
            skipped.setdefault(reason.value, []).append(row.id)
            continue
        claimed.append(
            Claimed(
                row.id,
                row.template_id,
                row.contact_id,
                row.idempotency_key,
                address,
                row.journey_id,
                row.journey_tile,
            )
        )
    return claimed, skipped


def _mark_sending(
    session: Session, contacts: Table, claimed: Sequence[Claimed], worker: str, now: datetime
) -> None:
    session.execute(
        update(MESSAGES)
        .where(MESSAGES.c.id.in_([item.id for item in claimed]))
        .values(
            status=MessageStatus.SENDING.value,
            claimed_at=now,
            claimed_by=worker,
            attempts=MESSAGES.c.attempts + 1,
            to_address=select(contacts.c.email)
            .where(contacts.c.id == MESSAGES.c.contact_id)
            .scalar_subquery(),
        )
    )
