"""The queue: messages queued set-based under an idempotency key, and counted back."""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.emails.domain import CONSENT_ORDER, MessageStatus
from leadflow.emails.models import EmailMessage
from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.lib.clock import utcnow

DELIVER_TASK = "emails.deliver"
MESSAGES: Table = EmailMessage.__table__  # type: ignore[assignment]
QUEUE_CHUNK = 5_000


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
                code=ErrorCode.TEXT_TOO_LONG,
            )
        if request.minimum_consent is not None and request.minimum_consent not in CONSENT_ORDER:
            raise ValidationFailed(
                f"minimum_consent must be one of {', '.join(CONSENT_ORDER)}",
                field=f"requests[{index}].minimum_consent",
                code=ErrorCode.NOT_A_CHOICE,
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


do_queue_messages = in_own_transaction(queue_messages)
