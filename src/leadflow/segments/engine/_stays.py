"""One segment's stays: evaluate it for some contacts or all, write who entered and
who left, publish; the full build."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    bindparam,
    func,
    select,
)
from sqlalchemy import update as sql_update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork
from leadflow.segments.engine._compiled import (
    IN_CHUNK,
    MEMBERS,
    NO_LONGER_MATCHES,
    WRITE_CHUNK,
    Compiled,
    open_members_of,
)
from leadflow.segments.events import entered_events, left_events


def _chunks(ids: Iterable[int], size: int = IN_CHUNK) -> list[list[int]]:
    ordered = sorted(ids)
    return [ordered[start : start + size] for start in range(0, len(ordered), size)]


def open_stays(session: Session, segment_id: int, ids: Collection[int] | None) -> set[int]:
    if ids is None:
        return set(session.scalars(open_members_of(segment_id)))
    found: set[int] = set()
    for chunk in _chunks(ids):
        found.update(
            session.scalars(open_members_of(segment_id).where(MEMBERS.c.contact_id.in_(chunk)))
        )
    return found


def evaluate(
    session: Session, compiled: Compiled, now: datetime, ids: Collection[int] | None
) -> dict[int, int]:
    """contact id -> block for the contacts in scope (all when `ids` is None) that match."""
    if ids is None:
        result = session.execute(compiled.full, compiled.params(now))
        return {row.contact_id: row.block for row in result}
    found: dict[int, int] = {}
    for chunk in _chunks(ids):
        result = session.execute(compiled.scoped, compiled.params(now, chunk))
        found.update({row.contact_id: row.block for row in result})
    return found


@dataclass
class Changes:
    entered: int = 0
    left: int = 0

    def add(self, other: Changes) -> None:
        self.entered += other.entered
        self.left += other.left

    def public(self) -> dict[str, int]:
        return {"entered": self.entered, "left": self.left}


def write_changes(
    uow: UnitOfWork,
    segment_id: int,
    version: int,
    entering: dict[int, int],
    leaving: Collection[int],
    now: datetime,
    *,
    reason: str = NO_LONGER_MATCHES,
) -> Changes:
    """Open stays for `entering` (contact -> block), close them for `leaving`; publish."""
    session = uow.session
    entered: list[tuple[int, int]] = []
    if entering:
        rows = [
            {
                "segment_id": segment_id,
                "contact_id": contact_id,
                "entered_at": now,
                "version": version,
                "block": block,
            }
            for contact_id, block in sorted(entering.items())
        ]
        statement = _insert_open_stays(session)
        for start in range(0, len(rows), WRITE_CHUNK):
            result = session.execute(statement, rows[start : start + WRITE_CHUNK])
            entered.extend((row.contact_id, row.block) for row in result)
        entered.sort()
        uow.publish(
            *entered_events(
                [(segment_id, contact_id, version, block) for contact_id, block in entered]
            )
        )
    closed: list[int] = []
    if leaving:
        for chunk in _chunks(leaving, WRITE_CHUNK):
            result = session.execute(
                sql_update(MEMBERS)
                .where(
                    MEMBERS.c.segment_id == segment_id,
                    MEMBERS.c.left_at.is_(None),
                    MEMBERS.c.contact_id.in_(chunk),
                )
                .values(left_at=now, left_reason=reason)
                .returning(MEMBERS.c.contact_id)
            )
            closed.extend(result.scalars())
        closed.sort()
        uow.publish(*left_events([(segment_id, contact_id) for contact_id in closed], reason))
    return Changes(len(entered), len(closed))


def _insert_from_arrays() -> Any:
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    rows = (
        func.unnest(
            bindparam("segment_ids", type_=ARRAY(BigInteger)),
            bindparam("contact_ids", type_=ARRAY(BigInteger)),
            bindparam("versions", type_=ARRAY(Integer)),
            bindparam("blocks", type_=ARRAY(Integer)),
        )
        .table_valued("segment_id", "contact_id", "version", "block")
        .render_derived("batch")
    )
    chosen = select(
        rows.c.segment_id,
        rows.c.contact_id,
        bindparam("entered_at", type_=MEMBERS.c.entered_at.type),
        rows.c.version,
        rows.c.block,
    )
    return (
        pg_insert(MEMBERS)
        .from_select(["segment_id", "contact_id", "entered_at", "version", "block"], chosen)
        .on_conflict_do_nothing(
            index_elements=["segment_id", "contact_id"], index_where=MEMBERS.c.left_at.is_(None)
        )
        .returning(MEMBERS.c.segment_id, MEMBERS.c.contact_id, MEMBERS.c.version, MEMBERS.c.block)
    )


_INSERT_FROM_ARRAYS = _insert_from_arrays()


def _insert_open_stays(session: Session) -> Any:
    """INSERT of open stays that skips a contact already in (a concurrent handler or a
    redelivered event got there first) and returns the rows it did write."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    statement = dialect_insert(MEMBERS).on_conflict_do_nothing(
        index_elements=["segment_id", "contact_id"], index_where=MEMBERS.c.left_at.is_(None)
    )
    return statement.returning(MEMBERS.c.contact_id, MEMBERS.c.block)


def reconcile(
    uow: UnitOfWork,
    compiled: Compiled,
    now: datetime,
    ids: Collection[int] | None,
) -> Changes:
    """Bring the segment's stays in line with its definition for the contacts in scope."""
    if ids is None or compiled.checked is None:
        matching = evaluate(uow.session, compiled, now, ids)
        current = open_stays(uow.session, compiled.segment_id, ids)
    else:
        matching, current = {}, set()
        for chunk in _chunks(ids):
            rows = uow.session.execute(compiled.checked, compiled.params(now, chunk))
            for row in rows:
                if row.matches:
                    matching[row.contact_id] = row.block
                else:
                    current.add(row.contact_id)
    entering = {cid: block for cid, block in matching.items() if cid not in current}
    leaving = current - matching.keys()
    return write_changes(uow, compiled.segment_id, compiled.version, entering, leaving, now)


def rebuild(
    uow: UnitOfWork,
    compiled: Compiled,
    now: datetime,
    *,
    each_chunk: Callable[[int, int], None] | None = None,
) -> Changes:
    """The full build: evaluate every contact once (one statement), then write the
    differences in chunks (`each_chunk(done, total)` between them: progress, cancel)."""
    matching = evaluate(uow.session, compiled, now, None)
    current = open_stays(uow.session, compiled.segment_id, None)
    entering = [(cid, block) for cid, block in matching.items() if cid not in current]
    leaving = sorted(current - matching.keys())
    staying = current & matching.keys()
    total = len(entering) + len(leaving)
    changes = Changes()
    done = 0
    entering.sort()
    for start in range(0, len(entering), WRITE_CHUNK):
        batch = dict(entering[start : start + WRITE_CHUNK])
        changes.add(write_changes(uow, compiled.segment_id, compiled.version, batch, (), now))
        done += len(batch)
        if each_chunk is not None:
            each_chunk(done, total)
    for start in range(0, len(leaving), WRITE_CHUNK):
        batch_left = leaving[start : start + WRITE_CHUNK]
        changes.add(write_changes(uow, compiled.segment_id, compiled.version, {}, batch_left, now))
        done += len(batch_left)
        if each_chunk is not None:
            each_chunk(done, total)
    if staying:
        # Members that stay are now held under the new version.
        uow.session.execute(
            sql_update(MEMBERS)
            .where(
                MEMBERS.c.segment_id == compiled.segment_id,
                MEMBERS.c.left_at.is_(None),
                MEMBERS.c.version != compiled.version,
            )
            .values(version=compiled.version)
        )
    return changes
