"""The transactional outbox: events stored with the change, handled after commit.

`OutboxRelay.dispatch` claims rows with a lease (so several processes never
handle the same row at once), runs the handlers and marks the rows handled. A
process that dies between commit and handling leaves rows unhandled; the next
relay pass (every worker and server runs one) picks them up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Index, String, Table, Text, and_, delete, func, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from leadflow.bus import EVENT_TYPES, Event, HandlerFailed, MessageBus
from leadflow.db.base import Base, Id, JsonData, UTCDateTime
from leadflow.lib.clock import utcnow

logger = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
# Events a writer hands to its own handlers right after commit are claimed in
# the commit; if the writer dies first, a relay takes them once this runs out.
INLINE_LEASE = timedelta(seconds=15)
RETENTION = timedelta(days=7)
PURGE_EVERY = timedelta(minutes=10)
MAX_ATTEMPTS = 10


class OutboxMessage(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonData)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index(
            "ix_outbox_pending",
            "id",
            sqlite_where=dispatched_at.is_(None),
            postgresql_where=dispatched_at.is_(None),
        ),
    )


def _table() -> Table:
    return cast(Table, OutboxMessage.__table__)


def outbox_rows(events: Sequence[Event], *, claimed: bool = False) -> list[dict[str, Any]]:
    """Rows for the outbox; `claimed` ones are leased to the writing process already."""
    now = utcnow()
    lease = {"claimed_until": now + INLINE_LEASE, "attempts": 1} if claimed else {"attempts": 0}
    return [
        {"event_type": item.name, "payload": item.to_payload(), "created_at": now, **lease}
        for item in events
    ]


class OutboxRelay:
    """Hands stored events to the bus, at least once."""

    def __init__(self, session_factory: sessionmaker[Session], bus: MessageBus) -> None:
        self._session_factory = session_factory
        self._bus = bus

    def dispatch(self, ids: Sequence[int] | None = None, *, limit: int = 500) -> int:
        """Handle the given rows (or the oldest pending ones); returns how many were handled."""
        claimed = self._claim(ids, limit)
        succeeded: list[int] = []
        for row_id, event_type, payload in claimed:
            event_class = EVENT_TYPES.get(event_type)
            if event_class is None:
                self._fail(row_id, f"unknown event type {event_type}")
                continue
            try:
                self._bus.handle(event_class.from_payload(payload))
            except HandlerFailed as exc:
                self._fail(row_id, str(exc))
                continue
            succeeded.append(row_id)
        if succeeded:
            self._mark_dispatched(succeeded)
        return len(succeeded)

    def handle_claimed(self, claimed: Sequence[tuple[int, Event]]) -> int:
        """Handle events this process wrote and claimed in their own transaction."""
        succeeded: list[int] = []
        for row_id, message in claimed:
            try:
                self._bus.handle(message)
            except HandlerFailed as exc:
                self._fail(row_id, str(exc))
                continue
            succeeded.append(row_id)
        if succeeded:
            self._mark_dispatched(succeeded)
        return len(succeeded)

    def _claim(self, ids: Sequence[int] | None, limit: int) -> list[tuple[int, str, Any]]:
        now = utcnow()
        table = _table()
        claimable = and_(
            table.c.dispatched_at.is_(None),
            table.c.attempts < MAX_ATTEMPTS,
            or_(table.c.claimed_until.is_(None), table.c.claimed_until < now),
        )
        with self._session_factory() as session, session.begin():
            query = select(table.c.id).where(claimable).order_by(table.c.id).limit(limit)
            if ids is not None:
                query = query.where(table.c.id.in_(list(ids)))
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            candidate_ids = list(session.scalars(query))
            if not candidate_ids:
                return []
            session.execute(
                update(table)
                .where(table.c.id.in_(candidate_ids), claimable)
                .values(claimed_until=now + LEASE, attempts=table.c.attempts + 1)
            )
            rows = session.execute(
                select(table.c.id, table.c.event_type, table.c.payload)
                .where(table.c.id.in_(candidate_ids))
                .order_by(table.c.id)
            ).all()
        return [(row.id, row.event_type, row.payload) for row in rows]

    def _mark_dispatched(self, row_ids: list[int]) -> None:
        table = _table()
        with self._session_factory() as session, session.begin():
            session.execute(
                update(table)
                .where(table.c.id.in_(row_ids))
                .values(dispatched_at=utcnow(), claimed_until=None, last_error=None)
            )

    def _fail(self, row_id: int, error: str) -> None:
        table = _table()
        # Released for a retry by a later relay pass, after a short pause.
        with self._session_factory() as session, session.begin():
            session.execute(
                update(table)
                .where(table.c.id == row_id)
                .values(claimed_until=utcnow() + timedelta(seconds=5), last_error=error[:2000])
            )

    def purge_dispatched(self, *, older_than: timedelta = RETENTION) -> int:
        """Delete handled rows past their retention; the outbox is a queue, not a log."""
        table = _table()
        cutoff = utcnow() - older_than
        with self._session_factory() as session, session.begin():
            result = session.execute(
                delete(table).where(
                    table.c.dispatched_at.is_not(None), table.c.dispatched_at < cutoff
                )
            )
        return int(getattr(result, "rowcount", 0) or 0)

    def pending_count(self) -> int:
        table = _table()
        with self._session_factory() as session:
            count = session.scalar(
                select(func.count()).select_from(table).where(table.c.dispatched_at.is_(None))
            )
        return int(count or 0)


class RelayThread(threading.Thread):
    """Polls the outbox for events no process has handled yet (after a crash, say)."""

    def __init__(self, relay: OutboxRelay, *, interval: float = 1.0) -> None:
        super().__init__(name="leadflow-outbox-relay", daemon=True)
        self._relay = relay
        self._interval = interval
        self._stop_flag = threading.Event()

    def run(self) -> None:
        last_purge = utcnow()
        while not self._stop_flag.is_set():
            try:
                while self._relay.dispatch(limit=200):
                    if self._stop_flag.is_set():
                        return
                if utcnow() - last_purge > PURGE_EVERY:
                    self._relay.purge_dispatched()
                    last_purge = utcnow()
            except Exception:  # the relay must outlive a bad pass
                logger.exception("outbox relay pass failed")
            self._stop_flag.wait(self._interval)

    def stop(self) -> None:
        self._stop_flag.set()
