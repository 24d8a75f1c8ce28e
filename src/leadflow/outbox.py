"""The transactional outbox: events stored with the change, handled after commit.

A request writes its change and its events in one transaction and answers; the
relay hands the stored events to their handlers in batches, breadth first:
every handler receives all pending events of its kinds at once, and what the
handlers publish is stored and taken by a later batch, never handled from
inside a handler. Every server and worker process runs a relay; rows are
claimed with a lease (SKIP LOCKED on PostgreSQL), so two processes never handle
one row at once, and a process that dies leaves its rows to another once the
lease runs out. The relay is woken by the commits of its own process, and
polls for the rest.

Per subject (a lead, a contact...) events are handled in the order they were
written: only the relay that holds a subject's oldest pending event takes that
subject's events, so a stage move never overtakes the one before it.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Index,
    Integer,
    Select,
    String,
    Table,
    Text,
    and_,
    any_,
    bindparam,
    delete,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from leadflow.bus import EVENT_TYPES, Delivery, Event, MessageBus
from leadflow.db.base import Base, Id, JsonData, UTCDateTime
from leadflow.db.group_commit import committing_alone
from leadflow.lib.clock import utcnow

logger = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
RETENTION = timedelta(days=7)
PURGE_EVERY = timedelta(minutes=10)
# After this many failed attempts an event is parked: kept, shown with its error,
# and handled again only when someone asks.
MAX_ATTEMPTS = 8
# Handlers that keep triggering each other (rules moving a lead back and forth)
# are stopped at this depth instead of looping forever.
MAX_CASCADE = 16
BATCH_SIZE = 500
# The longest pause between two batches under load (`linger`).
LINGER_MAX_SECONDS = 0.1
# A segment's membership events (one per batch, naming many contacts) are ordered per
# segment: its entries and exits are handled in the order they happened.
SUBJECT_KEYS = ("lead_id", "contact_id", "account_id", "opportunity_id", "segment_id")


class OutboxMessage(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonData)
    # What the event is about ("lead:34"): the unit of ordering and of waiting.
    subject: Mapped[str | None] = mapped_column(String(80))
    # How many handler steps separate it from a person's or a system's own write.
    depth: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    parked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index(
            "ix_outbox_pending",
            "id",
            sqlite_where=dispatched_at.is_(None),
            postgresql_where=dispatched_at.is_(None),
        ),
        Index(
            "ix_outbox_pending_subject",
            "subject",
            "id",
            sqlite_where=dispatched_at.is_(None),
            postgresql_where=dispatched_at.is_(None),
        ),
    )


def _table() -> Table:
    return cast(Table, OutboxMessage.__table__)


def event_subject(item: Event) -> str | None:
    for key in SUBJECT_KEYS:
        value = getattr(item, key, None)
        if value is not None:
            return f"{key.removesuffix('_id')}:{value}"
    return None


_cascade_depth: ContextVar[int] = ContextVar("leadflow_cascade_depth", default=0)


def outbox_rows(events: Sequence[Event]) -> list[dict[str, Any]]:
    now = utcnow()
    depth = _cascade_depth.get()
    return [
        {
            "event_type": item.name,
            "payload": item.to_payload(),
            "subject": event_subject(item),
            "depth": depth,
            "created_at": now,
            "attempts": 0,
        }
        for item in events
    ]


@dataclass
class Writes:
    """The outbox rows a request or a command wrote, so it can wait for their effects."""

    ids: list[int] = field(default_factory=list)
    subjects: set[str] = field(default_factory=set)

    def add(self, ids: Sequence[int], subjects: Collection[str]) -> None:
        self.ids.extend(ids)
        self.subjects.update(subjects)

    def __bool__(self) -> bool:
        return bool(self.ids)


_writes: ContextVar[Writes | None] = ContextVar("leadflow_outbox_writes", default=None)


@contextmanager
def tracking_writes() -> Iterator[Writes]:
    """Collect what the commits inside (threads started inside included) write."""
    writes = Writes()
    token = _writes.set(writes)
    try:
        yield writes
    finally:
        _writes.reset(token)


def record_writes(ids: Sequence[int], subjects: Collection[str]) -> None:
    writes = _writes.get()
    if writes is not None:
        writes.add(ids, subjects)


_inline: ContextVar[bool] = ContextVar("leadflow_outbox_inline", default=False)


@contextmanager
def handling_inline() -> Iterator[None]:
    """Inside, every commit has its events handled (breadth first, to the end of
    the cascade) before it returns: for one-off jobs such as loading the demo,
    whose next step reads what the handlers of the last one wrote."""
    token = _inline.set(True)
    try:
        yield
    finally:
        _inline.reset(token)


def start_handling_inline() -> None:
    """`handling_inline` for the rest of this thread (a command-line process)."""
    _inline.set(True)


def should_handle_inline() -> bool:
    # A handler's own commit never drains: the relay that runs it goes on.
    return _inline.get() and _cascade_depth.get() == 0


@contextmanager
def _one_step_deeper(deliveries: Sequence[Delivery]) -> Iterator[None]:
    """What a handler publishes is one step deeper than the deepest event it was
    given, not than the deepest of the whole batch: under steady load every batch
    mixes fresh events with the cascades of earlier ones, and a batch-wide depth
    would climb batch after batch until fresh events were parked as a loop."""
    token = _cascade_depth.set(max(each.depth for each in deliveries) + 1)
    try:
        yield
    finally:
        _cascade_depth.reset(token)


@dataclass(frozen=True)
class _Claimed:
    id: int
    event_type: str
    payload: Any
    depth: int
    attempts: int


def _claimable(table: Table) -> ColumnElement[bool]:
    return and_(
        table.c.dispatched_at.is_(None),
        table.c.parked_at.is_(None),
        or_(table.c.claimed_until.is_(None), table.c.claimed_until < bindparam("now")),
    )


def _ids_clause(column: ColumnElement[Any], dialect: str, name: str) -> ColumnElement[bool]:
    """`column` is one of the ids bound as ONE parameter (`_ids_value`): the statement's
    text is the same for any number of ids, so it is compiled, prepared and planned
    once, where an expanding IN list is a new statement (and on PostgreSQL hundreds of
    placeholders psycopg converts one by one) for every length."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(BigInteger)))
    values: Select[Any] = select(literal_column("value")).select_from(
        func.json_each(bindparam(name, type_=Text))
    )
    return column.in_(values.scalar_subquery())


def _ids_value(ids: Collection[int], dialect: str) -> Any:
    ordered = sorted(ids)
    return ordered if dialect == "postgresql" else json.dumps(ordered)


@functools.cache
def _candidates_statement(dialect: str, *, given: bool) -> Any:
    """The oldest claimable rows (of the given ids), each with the oldest pending row of
    its subject: a row is taken only when that one is in the batch too. The oldest is
    one lookup in the (subject, id) index of pending rows per candidate, not the NOT IN
    over the batch that once ran for minutes behind an import's thousands of rows."""
    table = _table()
    earlier = table.alias("earlier")
    oldest = (
        select(func.min(earlier.c.id))
        .where(
            earlier.c.subject == table.c.subject,
            earlier.c.dispatched_at.is_(None),
            earlier.c.parked_at.is_(None),
        )
        .scalar_subquery()
    )
    query = (
        select(table.c.id, table.c.subject.is_(None).label("free"), oldest.label("oldest"))
        .where(_claimable(table))
        .order_by(table.c.id)
        .limit(bindparam("limit", type_=Integer))
    )
    if given:
        query = query.where(_ids_clause(table.c.id, dialect, "given"))
    if dialect == "postgresql":
        query = query.with_for_update(skip_locked=True, of=table)
    return query


@functools.cache
def _take_statement(dialect: str) -> Any:
    """The chosen rows leased; the condition again: without SKIP LOCKED (SQLite) it is
    what keeps a row that another relay claimed meanwhile from being taken twice."""
    table = _table()
    return (
        update(table)
        .where(_ids_clause(table.c.id, dialect, "ids"), _claimable(table))
        .values(claimed_until=bindparam("until"), attempts=table.c.attempts + 1)
        .returning(table.c.id, table.c.event_type, table.c.payload, table.c.depth, table.c.attempts)
    )


@functools.cache
def _settle_statement(dialect: str) -> Any:
    """Handled rows marked dispatched, however many, in one statement."""
    table = _table()
    return (
        update(table)
        .where(_ids_clause(table.c.id, dialect, "ids"))
        .values(dispatched_at=bindparam("now"), claimed_until=None, last_error=None)
    )


@functools.cache
def _unsettled_statement() -> Any:
    """A failed or parked row's lease, parking and error (executed for all at once)."""
    table = _table()
    return (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values(
            claimed_until=bindparam("until"),
            parked_at=bindparam("parked"),
            last_error=bindparam("error"),
        )
    )


class OutboxRelay:
    """Hands stored events to the bus in batches, at least once."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        bus: MessageBus,
        *,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self._session_factory = session_factory
        self._bus = bus
        self.batch_size = batch_size
        self._wake = threading.Event()
        self._handled = threading.Condition()
        self._thread: RelayThread | None = None
        self._dialect_name: str | None = None

    # -- handling ---------------------------------------------------------------

    def dispatch(self, ids: Sequence[int] | None = None, *, limit: int | None = None) -> int:
        """Handle one batch (the given rows, or the oldest pending ones); returns how
        many events were handled successfully."""
        return self.run_batch(ids, limit or self.batch_size)[1]

    def drain(self, *, timeout: float | None = None) -> int:
        """Handle batches until nothing is claimable (or the time is up); returns how
        many events were handled."""
        deadline = None if timeout is None else time.monotonic() + timeout
        total = 0
        while deadline is None or time.monotonic() < deadline:
            claimed, handled = self.run_batch(None, self.batch_size)
            total += handled
            if not claimed:
                break
        return total

    def run_batch(self, ids: Sequence[int] | None, limit: int) -> tuple[int, int]:
        """Claim and handle one batch; returns (claimed, handled successfully)."""
        claimed = self._claim(ids, limit)
        if not claimed:
            return 0, 0
        deliveries: list[Delivery] = []
        failures: dict[int, list[str]] = {}
        parked: dict[int, str] = {}
        for row in claimed:
            event_class = EVENT_TYPES.get(row.event_type)
            if event_class is None:
                parked[row.id] = f"unknown event type {row.event_type}"
            elif row.depth >= MAX_CASCADE:
                parked[row.id] = f"handlers triggered each other {row.depth} times in a row"
            else:
                event = event_class.from_payload(row.payload)
                deliveries.append(Delivery(row.id, event, row.depth))
        if deliveries:
            with committing_alone():
                failures = self._bus.handle_batch(deliveries, around=_one_step_deeper)
        succeeded = [each.id for each in deliveries if each.id not in failures]
        tries = {row.id: row.attempts for row in claimed}
        self._settle_rows(
            succeeded,
            {row_id: (tries[row_id], errors) for row_id, errors in failures.items()},
            parked,
        )
        with self._handled:
            self._handled.notify_all()
        return len(claimed), len(succeeded)

    def _claim(self, ids: Sequence[int] | None, limit: int) -> list[_Claimed]:
        # Two statements in one short transaction, each of fixed text (prepared once):
        # the candidates with their subjects' oldest pending row, then the lease.
        now = utcnow()
        dialect = self._dialect()
        params: dict[str, Any] = {"now": now, "limit": limit}
        if ids is not None:
            params["given"] = _ids_value(ids, dialect)
        with self._session_factory() as session, session.begin():
            candidates = session.execute(
                _candidates_statement(dialect, given=ids is not None), params
            ).all()
            if not candidates:
                return []
            taken = {row.id for row in candidates}
            # A subject whose oldest pending event is not in this batch waits: another
            # relay holds it, or it lies past the batch's end.
            chosen = [row.id for row in candidates if row.free or row.oldest in taken]
            if not chosen:
                return []
            rows = session.execute(
                _take_statement(dialect),
                {"ids": _ids_value(chosen, dialect), "now": now, "until": now + LEASE},
            ).all()
        return sorted(
            (
                _Claimed(row.id, row.event_type, row.payload, row.depth, row.attempts)
                for row in rows
            ),
            key=lambda row: row.id,
        )

    def _dialect(self) -> str:
        if self._dialect_name is None:
            bind = self._session_factory.kw.get("bind")
            self._dialect_name = bind.dialect.name if bind is not None else "sqlite"
        return self._dialect_name

    def _settle_rows(
        self,
        succeeded: list[int],
        failures: dict[int, tuple[int, list[str]]],
        parked: dict[int, str],
    ) -> None:
        now = utcnow()
        dialect = self._dialect()
        unsettled: list[dict[str, Any]] = [
            {"row_id": row_id, "until": None, "parked": now, "error": message}
            for row_id, message in parked.items()
        ]
        for row_id, (tries, errors) in failures.items():
            # Retried after a pause that doubles each time; parked when tries run out.
            out_of_tries = tries >= MAX_ATTEMPTS
            unsettled.append(
                {
                    "row_id": row_id,
                    "until": None if out_of_tries else now + timedelta(seconds=min(2**tries, 300)),
                    "parked": now if out_of_tries else None,
                    "error": "; ".join(errors)[:4000],
                }
            )
        with self._session_factory() as session, session.begin():
            if succeeded:
                session.execute(
                    _settle_statement(dialect), {"ids": _ids_value(succeeded, dialect), "now": now}
                )
            if unsettled:
                session.execute(_unsettled_statement(), unsettled)

    # -- waiting ----------------------------------------------------------------

    def notify(self) -> None:
        """A commit of this process wrote events: wake the relay thread."""
        self._wake.set()

    def settle(self, writes: Writes, *, timeout: float) -> bool:
        """Wait (at most `timeout` seconds) until the events these writes stored, and
        what their handlers published about the same subjects, are handled or have
        failed. Without a relay thread in this process, it handles them itself."""
        if not writes:
            return True
        deadline = time.monotonic() + timeout
        while self._waiting_on(writes):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if self.running:
                with self._handled:
                    self._handled.wait(min(remaining, 0.05))
            elif not self.run_batch(None, self.batch_size)[0]:
                # Another process holds them: look again shortly.
                time.sleep(min(remaining, 0.02))
        return True

    def _waiting_on(self, writes: Writes) -> bool:
        table = _table()
        mine: ColumnElement[bool] = table.c.id.in_(writes.ids[-1000:])
        if writes.subjects:
            mine = or_(mine, table.c.subject.in_(sorted(writes.subjects)[:1000]))
        with self._session_factory() as session:
            row = session.execute(
                select(table.c.id)
                .where(
                    table.c.dispatched_at.is_(None),
                    table.c.parked_at.is_(None),
                    table.c.last_error.is_(None),
                    mine,
                )
                .limit(1)
            ).first()
        return row is not None

    # -- the thread -------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, *, interval: float = 1.0) -> None:
        if self._thread is None:
            self._thread = RelayThread(self, self._wake, interval=interval)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.stop()
            self._thread.join(timeout=10)
            self._thread = None

    # -- upkeep -----------------------------------------------------------------

    def purge_dispatched(self, *, older_than: timedelta = RETENTION) -> int:
        """Delete handled rows past their retention; the outbox is a queue, not a log.

        The newest row stays: SQLite would otherwise hand out its ids again, and a
        handler that remembers which events it saw by id would skip new ones."""
        table = _table()
        cutoff = utcnow() - older_than
        newest = select(func.max(table.c.id)).scalar_subquery()
        with self._session_factory() as session, session.begin():
            result = session.execute(
                delete(table).where(
                    table.c.dispatched_at.is_not(None),
                    table.c.dispatched_at < cutoff,
                    table.c.id < newest,
                )
            )
        return int(getattr(result, "rowcount", 0) or 0)

    def pending_count(self) -> int:
        table = _table()
        return self._count(table.c.dispatched_at.is_(None), table.c.parked_at.is_(None))

    def parked_count(self) -> int:
        table = _table()
        return self._count(table.c.dispatched_at.is_(None), table.c.parked_at.is_not(None))

    def _count(self, *conditions: ColumnElement[bool]) -> int:
        with self._session_factory() as session:
            count = session.scalar(select(func.count()).select_from(_table()).where(*conditions))
        return int(count or 0)

    def parked(self, *, limit: int = 100) -> list[OutboxMessage]:
        with self._session_factory() as session:
            return list(
                session.scalars(
                    select(OutboxMessage)
                    .where(
                        OutboxMessage.parked_at.is_not(None),
                        OutboxMessage.dispatched_at.is_(None),
                    )
                    .order_by(OutboxMessage.id.desc())
                    .limit(limit)
                )
            )

    def retry_parked(self, ids: Sequence[int] | None = None) -> int:
        """Put parked events back in the queue (after the cause was fixed)."""
        table = _table()
        query = update(table).where(table.c.parked_at.is_not(None), table.c.dispatched_at.is_(None))
        if ids is not None:
            query = query.where(table.c.id.in_(list(ids)))
        with self._session_factory() as session, session.begin():
            result = session.execute(
                query.values(parked_at=None, attempts=0, depth=0, claimed_until=None)
            )
        self.notify()
        return int(getattr(result, "rowcount", 0) or 0)


def linger(claimed: int, batch_size: int, took: float) -> float:
    """How long the relay waits before its next batch, while events keep coming.

    A first event after a quiet spell is handled at once (the commit wakes the
    relay). Under load, the relay pauses after a batch as long as the batch took
    (at most LINGER_MAX_SECONDS), so the next one gathers what arrived meanwhile:
    batches grow with the load, and a batch costs each handler one transaction and
    a few statements whatever its size, so the events cost less each and the relay
    never takes more than about half of its process's time from the requests. A full
    batch means a backlog: the next one starts at once.
    """
    if claimed >= batch_size:
        return 0.0
    return min(LINGER_MAX_SECONDS, took)


class RelayThread(threading.Thread):
    """Handles batches whenever a commit wakes it, and polls for the rest (events
    written by other processes, or left by a process that died)."""

    def __init__(self, relay: OutboxRelay, wake: threading.Event, *, interval: float = 1.0) -> None:
        super().__init__(name="leadflow-outbox-relay", daemon=True)
        self._relay = relay
        self._wake = wake
        self._interval = interval
        self._stop_flag = threading.Event()

    def run(self) -> None:
        last_purge = utcnow()
        while not self._stop_flag.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            try:
                while not self._stop_flag.is_set():
                    started = time.monotonic()
                    claimed, _handled = self._relay.run_batch(None, self._relay.batch_size)
                    if not claimed:
                        break
                    pause = linger(claimed, self._relay.batch_size, time.monotonic() - started)
                    if pause:
                        self._stop_flag.wait(pause)
                if utcnow() - last_purge > PURGE_EVERY:
                    self._relay.purge_dispatched()
                    last_purge = utcnow()
            except Exception:  # the relay must outlive a bad pass
                logger.exception("outbox relay pass failed")
                self._stop_flag.wait(self._interval)

    def stop(self) -> None:
        self._stop_flag.set()
        self._wake.set()
