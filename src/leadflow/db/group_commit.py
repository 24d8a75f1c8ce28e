"""Group commit on SQLite: the units of one process share one write transaction.

Every SQLite write transaction takes the one write lock, so writers run one at a
time whatever we do; what can be shared is the transaction around them. A unit
(a session's transaction) takes its turn on the process's one write connection,
runs in its own SAVEPOINT inside the transaction that is open there, and releases
the savepoint when it commits. The turn passes to the next unit waiting for it,
and the last unit of the group (nobody waiting, or the group is full or old)
COMMITs once for all of them. A unit that fails rolls back to its savepoint
alone; the others commit.

A unit's `commit()` returns only after the group's COMMIT (durability as with a
transaction of its own), so what it does after (waking the relay, callbacks)
never sees a change that is not stored. If the COMMIT itself fails, every unit
of the group gets `GroupCommitFailed` from its `commit()`.

Units see the writes of the units before them in their group (the same
connection), as they would see them committed a moment earlier. Reads through the
separate read engine see only committed groups.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session, SessionTransaction

# A group closes when nobody waits for a turn, or at this size or age: a unit that
# committed early in a group waits for its COMMIT, so groups stay short.
GROUP_MAX_UNITS = 32
GROUP_MAX_SECONDS = 0.05
TURN_TIMEOUT_SECONDS = 30.0
_ABANDONED_CHECK_SECONDS = 0.5

logger = logging.getLogger(__name__)

_TURN = "leadflow_group_turn"
_COMMITTED = "leadflow_group_committed"


class GroupCommitFailed(Exception):
    """The COMMIT covering this unit's group failed: the unit's work is not stored."""


class WriterBusy(Exception):
    """A unit waited longer than the turn timeout for the process's write connection."""


_alone: ContextVar[bool] = ContextVar("leadflow_group_commit_alone", default=False)


@contextmanager
def committing_alone() -> Iterator[None]:
    """Units started inside commit in a transaction of their own, not in a group.

    For long units (the relay's handler batches): the units before one in its
    group would wait for its end to see their COMMIT.
    """
    token = _alone.set(True)
    try:
        yield
    finally:
        _alone.reset(token)


@dataclass(eq=False)
class _Group:
    opened: float
    alone: bool = False
    units: int = 0
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class GroupWriter:
    """The process's one write connection and the group open on it."""

    def __init__(
        self,
        engine: Engine,
        *,
        max_units: int = GROUP_MAX_UNITS,
        max_seconds: float = GROUP_MAX_SECONDS,
    ) -> None:
        self._engine = engine
        self._max_units = max_units
        self._max_seconds = max_seconds
        self._turn = threading.Lock()
        self._counts = threading.Lock()
        self._waiting = 0
        self._connection: Connection | None = None
        self._group: _Group | None = None
        self.groups_committed = 0
        self.units_committed = 0

    @property
    def waiting(self) -> int:
        """Units waiting for their turn now."""
        with self._counts:
            return self._waiting

    def take_turn(self) -> tuple[Connection, _Group]:
        """Wait for the write connection; it is in the group's transaction on return."""
        with self._counts:
            self._waiting += 1
        try:
            acquired = self._turn.acquire(timeout=TURN_TIMEOUT_SECONDS)
        finally:
            with self._counts:
                self._waiting -= 1
        if not acquired:
            raise WriterBusy(
                f"no turn on the write connection within {TURN_TIMEOUT_SECONDS:.0f} s "
                "(a thread holding one may be waiting for a second)"
            )
        try:
            alone = _alone.get()
            if alone and self._group is not None:
                self._close_group()
            connection, group = self._open_group(alone=alone)
        except BaseException:
            self._turn.release()
            raise
        group.units += 1
        return connection, group

    def end_turn(self, group: _Group, *, committed: bool) -> None:
        """The holder's savepoint is released (committed) or rolled back: pass the turn on.

        A committed unit then waits for its group's COMMIT and raises if it failed.
        """
        try:
            if group is self._group:
                if not self._still_in_transaction():
                    # SQLite ended the whole transaction (disk full, I/O error): the
                    # units before this one are lost with it.
                    self._fail_group(GroupCommitFailed("SQLite rolled back the group"))
                elif not self._should_continue(group):
                    self._close_group()
        finally:
            self._turn.release()
        if committed:
            self._wait_for(group)
            with self._counts:
                self.units_committed += 1

    def close(self) -> None:
        # Bounded: a session leaked with the turn must not hang the process's exit.
        if not self._turn.acquire(timeout=5):
            return
        try:
            if self._group is not None:
                self._close_group()
            if self._connection is not None:
                self._connection.close()
                self._connection = None
        finally:
            self._turn.release()
        if self.groups_committed:
            logger.info(
                "group commit: %d units in %d groups (%.1f a group)",
                self.units_committed,
                self.groups_committed,
                self.units_committed / self.groups_committed,
            )

    def _should_continue(self, group: _Group) -> bool:
        if group.alone:
            return False
        with self._counts:
            waiting = self._waiting
        return (
            waiting > 0
            and group.units < self._max_units
            and time.monotonic() - group.opened < self._max_seconds
        )

    def _open_group(self, *, alone: bool) -> tuple[Connection, _Group]:
        if self._group is not None and self._connection is not None:
            return self._connection, self._group
        if self._connection is None or self._connection.closed:
            self._connection = self._engine.connect()
        try:
            # BEGIN IMMEDIATE, through the engine's writer queue like any transaction.
            self._connection.begin()
        except BaseException:
            self._connection.close()
            self._connection = None
            raise
        self._group = _Group(opened=time.monotonic(), alone=alone)
        return self._connection, self._group

    def _still_in_transaction(self) -> bool:
        connection = self._connection
        if connection is None:
            return False
        dbapi = connection.connection.dbapi_connection
        return bool(getattr(dbapi, "in_transaction", True))

    def _close_group(self) -> None:
        group, connection = self._group, self._connection
        self._group = None
        if group is None or connection is None:
            return
        try:
            connection.commit()
            self.groups_committed += 1
        except BaseException as exc:
            group.error = exc
            self._discard_connection()
        finally:
            group.done.set()

    def _fail_group(self, error: BaseException) -> None:
        group = self._group
        self._group = None
        try:
            self._discard_connection()
        finally:
            if group is not None:
                group.error = error
                group.done.set()

    def _discard_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.rollback()
            finally:
                connection.close()

    def _wait_for(self, group: _Group) -> None:
        while not group.done.wait(_ABANDONED_CHECK_SECONDS):
            # The unit waiting for the turn gave up (timed out) after this group's
            # last holder handed it over: whoever finds the turn free closes the group.
            if self._turn.acquire(blocking=False):
                try:
                    if group is self._group:
                        self._close_group()
                finally:
                    self._turn.release()
        if group.error is not None:
            raise GroupCommitFailed(f"the group's COMMIT failed: {group.error}") from group.error


_group_writers: WeakKeyDictionary[Engine, GroupWriter] = WeakKeyDictionary()


def install_group_writer(engine: Engine) -> GroupWriter:
    writer = GroupWriter(engine)
    _group_writers[engine] = writer
    event.listen(engine, "engine_disposed", lambda _connection: writer.close())
    return writer


def group_writer_for(engine: Engine) -> GroupWriter | None:
    return _group_writers.get(engine)


class GroupCommitSession(Session):
    """A session whose transactions are savepoints in the process's shared write group.

    It takes its turn at its first statement (so a session that never runs one never
    waits) and gives it back when its transaction ends.
    """

    def __init__(self, *args: Any, writer: GroupWriter, **kwargs: Any) -> None:
        kwargs["join_transaction_mode"] = "create_savepoint"
        super().__init__(*args, **kwargs)
        self._writer = writer

    def get_bind(
        self,
        mapper: Any = None,
        *,
        clause: Any = None,
        bind: Any = None,
        **kwargs: Any,
    ) -> Connection:
        turn: tuple[Connection, _Group] | None = self.info.get(_TURN)
        if turn is None:
            turn = self._writer.take_turn()
            self.info[_TURN] = turn
        return turn[0]

    def close(self) -> None:
        super().close()
        self._end_turn(committed=False)

    def _end_turn(self, *, committed: bool) -> None:
        turn: tuple[Connection, _Group] | None = self.info.pop(_TURN, None)
        if turn is not None:
            self._writer.end_turn(turn[1], committed=committed)


def _mark_committed(session: Session) -> None:
    # Fired for savepoints of the session's own too; only the outermost counts.
    if not session.in_nested_transaction():
        session.info[_COMMITTED] = True


def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and not transaction.nested:
        committed = bool(session.info.pop(_COMMITTED, False))
        if isinstance(session, GroupCommitSession):
            session._end_turn(committed=committed)


event.listen(GroupCommitSession, "after_commit", _mark_committed)
event.listen(GroupCommitSession, "after_transaction_end", _transaction_ended)


def session_options(engine: Engine) -> Mapping[str, Any]:
    """What a sessionmaker for `engine` needs: group commit where it has a writer."""
    writer = group_writer_for(engine)
    if writer is None:
        return {}
    return {"class_": GroupCommitSession, "writer": writer}
