"""Running the engine: one batch per transaction, until nothing is due."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.dependencies import Dependencies
from leadflow.journeys.services._engine import BATCH, BatchResult, advance_due
from leadflow.journeys.services._entry import ACTIVE, JOURNEYS_TABLE, POSITIONS
from leadflow.journeys.services._versions import JourneyStatus
from leadflow.lib.clock import utcnow


def _advance_batch(
    *, uow: UnitOfWork, now: datetime | None = None, limit: int = BATCH
) -> BatchResult:
    return advance_due(uow, now=now, limit=limit)


do_advance_batch = in_own_transaction(_advance_batch)


def due_count(container: Dependencies, now: datetime | None = None) -> int:
    """How many positions of live journeys are due now."""
    with container.read_session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(POSITIONS)
                .join(JOURNEYS_TABLE, JOURNEYS_TABLE.c.id == POSITIONS.c.journey_id)
                .where(
                    POSITIONS.c.status.in_(ACTIVE),
                    POSITIONS.c.due_at <= (now or utcnow()),
                    JOURNEYS_TABLE.c.status == JourneyStatus.LIVE,
                )
            )
            or 0
        )


def advance(
    container: Dependencies,
    *,
    limit: int = BATCH,
    budget_seconds: float | None = None,
    each_batch: Callable[[BatchResult], None] | None = None,
) -> BatchResult:
    """Run due steps batch after batch (each its own transaction) until none is due or
    the time budget is spent; returns the totals."""
    total = BatchResult()
    started = time.monotonic()
    while True:
        result = do_advance_batch(uow=container.uow(), limit=limit)
        total.claimed += result.claimed
        total.moved += result.moved
        total.emails += result.emails
        total.finished += result.finished
        if each_batch is not None:
            each_batch(result)
        if result.claimed < limit:
            return total
        if budget_seconds is not None and time.monotonic() - started > budget_seconds:
            return total
