"""Finishing: a batch's outcomes written together, one statement per outcome."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from leadflow.contacts.services import update_contact
from leadflow.db.uow import UnitOfWork
from leadflow.emails.delivery._batch import MESSAGES, Finished, Totals
from leadflow.emails.domain import MessageStatus
from leadflow.interactions.domain import InteractionKind
from leadflow.interactions.services import record_interactions
from leadflow.lib.clock import utcnow

MAX_ATTEMPTS = 5
RETRY_SECONDS = (60, 300, 900, 3600)


def finish_batch(finished: Finished, *, uow: UnitOfWork) -> Totals:
    """Write a batch's outcomes: one statement per outcome, the `email_sent`
    interactions in one batch, and each bounced address marked do-not-email."""
    now = utcnow()
    totals = Totals()
    if finished.sent:
        _write_sent(finished.sent, now, uow=uow)
        totals.sent = len(finished.sent)
    if finished.bounced:
        _write_bounced(finished.bounced, now, uow=uow)
        totals.bounced = len(finished.bounced)
    if finished.deferred:
        totals.deferred = _write_deferred(finished, now, uow.session)
    if finished.failed:
        uow.session.execute(
            update(MESSAGES)
            .where(MESSAGES.c.id == bindparam("b_id"))
            .values(status=MessageStatus.FAILED.value, error=bindparam("b_error")),
            [{"b_id": key, "b_error": value[:2000]} for key, value in finished.failed.items()],
            execution_options={"synchronize_session": False},
        )
        totals.failed = len(finished.failed)
    return totals


def _write_sent(sent: dict[int, str], now: datetime, *, uow: UnitOfWork) -> None:
    session = uow.session
    session.execute(
        update(MESSAGES)
        .where(MESSAGES.c.id == bindparam("b_id"))
        .values(
            status=MessageStatus.SENT.value,
            sent_at=now,
            error=None,
            message_id_header=bindparam("b_header"),
        ),
        [{"b_id": key, "b_header": value} for key, value in sent.items()],
        execution_options={"synchronize_session": False},
    )
    _record_sent(session, sorted(sent), now, uow=uow)


def _write_bounced(bounced: dict[int, str], now: datetime, *, uow: UnitOfWork) -> None:
    session = uow.session
    session.execute(
        update(MESSAGES)
        .where(MESSAGES.c.id == bindparam("b_id"))
        .values(status=MessageStatus.BOUNCED.value, sent_at=now, error=bindparam("b_error")),
        [{"b_id": key, "b_error": value[:2000]} for key, value in bounced.items()],
        execution_options={"synchronize_session": False},
    )
    contact_ids = session.scalars(
        select(MESSAGES.c.contact_id).where(MESSAGES.c.id.in_(sorted(bounced)))
    )
    for contact_id in sorted(set(contact_ids)):
        # A hard bounce: the address is refused for good, so it is not mailed again.
        update_contact(contact_id, {"do_not_email": True}, uow=uow)


def _write_deferred(finished: Finished, now: datetime, session: Session) -> int:
    """Queue the deferred messages again after a wait that grows with their attempts; one
    tried `MAX_ATTEMPTS` times fails instead (it joins `finished.failed`). Returns how
    many were queued again."""
    attempts = dict(
        session.execute(
            select(MESSAGES.c.id, MESSAGES.c.attempts).where(
                MESSAGES.c.id.in_(sorted(finished.deferred))
            )
        ).all()
    )
    retry: list[dict[str, Any]] = []
    for message_id, error in finished.deferred.items():
        tried = int(attempts.get(message_id, 0))
        if tried >= MAX_ATTEMPTS:
            finished.failed[message_id] = error
            continue
        wait = RETRY_SECONDS[min(tried, len(RETRY_SECONDS)) - 1] if tried else 0
        retry.append(
            {"b_id": message_id, "b_error": error[:2000], "b_at": now + timedelta(seconds=wait)}
        )
    if retry:
        session.execute(
            update(MESSAGES)
            .where(MESSAGES.c.id == bindparam("b_id"))
            .values(
                status=MessageStatus.QUEUED.value,
                error=bindparam("b_error"),
                claimed_at=bindparam("b_at"),
                claimed_by=None,
            ),
            retry,
            execution_options={"synchronize_session": False},
        )
    return len(retry)


def _record_sent(session: Session, ids: Sequence[int], now: datetime, *, uow: UnitOfWork) -> None:
    rows = session.execute(
        select(
            MESSAGES.c.id,
            MESSAGES.c.contact_id,
            MESSAGES.c.template_id,
            MESSAGES.c.journey_id,
            MESSAGES.c.journey_tile,
        ).where(MESSAGES.c.id.in_(ids))
    ).all()
    record_interactions(
        [
            {
                "contact_id": row.contact_id,
                "kind": InteractionKind.EMAIL_SENT.value,
                "target_id": str(row.template_id),
                "occurred_at": now,
                "data": {
                    "message_id": row.id,
                    "journey_id": row.journey_id,
                    "journey_tile": row.journey_tile,
                },
            }
            for row in rows
        ],
        uow=uow,
    )
