"""Outbox steps the relay tests share."""

from __future__ import annotations

from sqlalchemy import update

from leadflow.bootstrap import Container
from leadflow.outbox import OutboxMessage


def expire_leases(container: Container) -> None:
    """Every claim and retry pause runs out now: a dead relay's lease, a failure's wait."""
    with container.session_factory() as session, session.begin():
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.dispatched_at.is_(None))
            .values(claimed_until=None)
        )
