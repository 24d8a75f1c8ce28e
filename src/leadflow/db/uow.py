"""Unit of work: one transaction, the events it publishes, and what follows its commit."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, ParamSpec, Self, TypeVar, cast

from sqlalchemy import Integer, Select, Table, Text, bindparam, column, func, insert, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import JSON as PG_JSON
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.dml import ReturningInsert

from leadflow.bus import Event
from leadflow.outbox import OutboxMessage, event_subject, outbox_rows
from leadflow.registry.domain import Registry

if TYPE_CHECKING:
    from leadflow.queue import TaskQueue

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

_OUTBOX = cast(Table, OutboxMessage.__table__)
_OUTBOX_COLUMNS = ("event_type", "payload", "subject", "depth", "created_at", "attempts")


def _outbox_insert(rows: Select[Any]) -> ReturningInsert[int]:
    return insert(_OUTBOX).from_select(list(_OUTBOX_COLUMNS), rows).returning(_OUTBOX.c.id)


def _insert_outbox_from_json_postgresql() -> ReturningInsert[int]:
    """PostgreSQL: the events as one JSON array of [type, payload, subject] (the row's
    depth and moment are the unit's), read with json_array_elements in order. The text
    never changes with the number of events, so psycopg converts and prepares it once,
    and the one parameter is a string: the multi-row VALUES it replaces was rebuilt
    with thousands of placeholders on every commit (70 % of the segments handler's
    time, profiled with 1,000 events a commit), and text arrays are escaped element
    by element in Python."""
    batch = (
        func.json_array_elements(sql_cast(bindparam("events", type_=Text), PG_JSON))
        .table_valued(column("value", PG_JSON), with_ordinality="position")
        .render_derived("batch")
    )
    rows = select(
        batch.c.value[0].astext,
        sql_cast(batch.c.value[1], JSONB),
        batch.c.value[2].astext,
        bindparam("depth", type_=Integer),
        bindparam("created_at", type_=_OUTBOX.c.created_at.type),
        bindparam("attempts", type_=Integer),
    ).order_by(batch.c.position)
    return _outbox_insert(rows)


def _insert_outbox_from_json_sqlite() -> ReturningInsert[int]:
    """SQLite: the same JSON array, read with json_each in order."""
    each = func.json_each(bindparam("events", type_=Text)).table_valued(
        "key", "value", name="batch"
    )
    rows = select(
        func.json_extract(each.c.value, "$[0]"),
        func.json_extract(each.c.value, "$[1]"),
        func.json_extract(each.c.value, "$[2]"),
        bindparam("depth", type_=Integer),
        bindparam("created_at", type_=_OUTBOX.c.created_at.type),
        bindparam("attempts", type_=Integer),
    ).order_by(each.c.key)
    return _outbox_insert(rows)


_INSERT_OUTBOX = {
    "postgresql": _insert_outbox_from_json_postgresql(),
    "sqlite": _insert_outbox_from_json_sqlite(),
}


def insert_outbox_rows(session: Session, events: Sequence[Event]) -> list[int]:
    """Store `events` in the outbox in one statement; their row ids, in event order."""
    rows = outbox_rows(events)
    first = rows[0]
    params: dict[str, Any] = {
        "depth": first["depth"],
        "created_at": first["created_at"],
        "attempts": first["attempts"],
    }
    params["events"] = json.dumps(
        [[row["event_type"], row["payload"], row["subject"]] for row in rows]
    )
    dialect = session.get_bind().dialect.name
    # Ids grow in insertion order, which the statement's ORDER BY makes the events'
    # order; RETURNING itself promises no order.
    return sorted(session.execute(_INSERT_OUTBOX[dialect], params).scalars())


class UnitOfWork:
    """`with uow: ...; uow.commit()`: the only way services write.

    A use case (a service function) opens the unit and commits it. A face may
    open the unit first to keep the session for rendering what the use case
    returns: entering an open unit again is a no-op, so the use case's own
    `with uow:` joins it, and only the outermost exit closes the session.

    Events published during the unit are inserted into the outbox in the same
    transaction; after the commit `after_commit` learns their rows (it wakes the
    relay), so handlers never see a change that was rolled back. Other side
    effects (queueing a task) register with `after_commit` and run after it too.
    """

    session: Session

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        registry: Callable[[Session], Registry],
        after_commit: Callable[[list[int], set[str]], None] | None = None,
        tasks: TaskQueue | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._registry_loader = registry
        self._committed = after_commit
        self._tasks = tasks
        self._events: list[Event] = []
        self._stored: list[int] = []
        self._stored_subjects: set[str] = set()
        self._callbacks: list[Callable[[], None]] = []
        self._registry: Registry | None = None
        self._depth = 0

    @property
    def is_open(self) -> bool:
        return self._depth > 0

    def __enter__(self) -> Self:
        self._depth += 1
        if self._depth > 1:
            return self
        self.session = self._session_factory()
        self._events = []
        self._stored, self._stored_subjects = [], set()
        self._callbacks = []
        self._registry = None
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._depth -= 1
        if self._depth > 0:
            return
        self.session.rollback()
        self.session.close()
        self._callbacks = []

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = self._registry_loader(self.session)
        return self._registry

    def publish(self, *events: Event) -> None:
        self._events.extend(events)

    def published_in_bulk(self, ids: Sequence[int], subjects: Collection[str]) -> None:
        """Outbox rows a bulk writer inserted itself in this unit (imports write
        thousands a chunk with COPY): after the commit they wake the relay like
        the rows of `publish`."""
        self._stored.extend(ids)
        self._stored_subjects.update(subjects)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once this unit has committed, never when it rolls back.

        A failing callback is logged, not raised: the commit stands, so the
        caller cannot undo it, and what a callback leaves undone needs a
        recovery path of its own (the jobs sweep re-queues a job whose enqueue
        was lost).
        """
        self._callbacks.append(callback)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A part of the unit undone alone when it raises: its writes (a SAVEPOINT), the
        events it published and the callbacks it registered. The error propagates."""
        events, callbacks = len(self._events), len(self._callbacks)
        nested = self.session.begin_nested()
        try:
            yield
        except BaseException:
            nested.rollback()
            del self._events[events:]
            del self._callbacks[callbacks:]
            raise
        nested.commit()

    def enqueue_after_commit(self, task: str, *args: Any) -> None:
        """Queue a background task once this unit has committed (warehouse's
        after-commit tasks): the worker never looks for a row that is not there yet."""
        tasks = self._tasks
        if tasks is None:
            raise RuntimeError("this unit of work has no task queue")
        self.after_commit(lambda: tasks.enqueue(task, *args))

    def commit(self) -> None:
        """Store the unit with its events, then wake the relay and run the callbacks.

        On SQLite the unit is a savepoint in the process's shared write transaction
        (`group_commit`): this returns once the COMMIT covering its group is done.
        """
        outbox_ids: list[int] = []
        events = self._events
        if events:
            outbox_ids = insert_outbox_rows(self.session, events)
        self.session.commit()
        self._events = []
        outbox_ids.extend(self._stored)
        stored_subjects, self._stored, self._stored_subjects = self._stored_subjects, [], set()
        callbacks, self._callbacks = self._callbacks, []
        if outbox_ids and self._committed is not None:
            subjects = {subject for item in events if (subject := event_subject(item))}
            self._committed(outbox_ids, subjects | stored_subjects)
        for callback in callbacks:
            try:
                callback()
            except Exception:
                logger.exception("after-commit callback %r failed", callback)

    def rollback(self) -> None:
        self.session.rollback()
        self._events = []
        self._stored, self._stored_subjects = [], set()
        self._callbacks = []


def in_own_transaction(step: Callable[P, R]) -> Callable[P, R]:
    """The use case of a step: it opens the unit passed as `uow`, runs the step, commits.

    Steps take an open unit and leave the commit to their caller, so use cases can
    run several in one transaction; a face calls the use case. The unit is
    re-entrant, so a face holding it open (to render the result) keeps its session.
    """

    @functools.wraps(step)
    def use_case(*args: P.args, **kwargs: P.kwargs) -> R:
        uow = kwargs.get("uow")
        if not isinstance(uow, UnitOfWork):
            raise TypeError(f"{step.__name__} needs its unit of work as uow=")
        with uow:
            result = step(*args, **kwargs)
            uow.commit()
            return result

    return use_case
