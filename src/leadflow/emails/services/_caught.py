"""The mail catcher's inbox: what the local catcher received, kept and read back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.emails.domain import Caught
from leadflow.emails.models import CaughtEmail
from leadflow.errors import NotFound


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
