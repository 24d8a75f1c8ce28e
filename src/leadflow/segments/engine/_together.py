"""A batch of events' contacts across every live segment: evaluated in one statement,
written in one INSERT and one UPDATE; deleted contacts' stays closed."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    select,
    text,
)
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork
from leadflow.segments.compiler import (
    ids_clause,
    ids_value,
)
from leadflow.segments.domain import (
    SegmentKind,
)
from leadflow.segments.engine._compiled import (
    MEMBERS,
    NO_LONGER_MATCHES,
    WRITE_CHUNK,
    Compiled,
    Together,
)
from leadflow.segments.engine._stays import _INSERT_FROM_ARRAYS, Changes, _insert_open_stays
from leadflow.segments.events import entered_events, left_events


def segments_with_parts(compiled: list[Compiled], segment_ids: Collection[int]) -> list[Compiled]:
    wanted = set(segment_ids)
    return [
        item
        for item in compiled
        if item.kind is SegmentKind.COMPOUND and any(p.segment_id in wanted for p in item.parts)
    ]


CHECK_CHUNK = 1000


@dataclass
class StayChanges:
    """What `changes_together` found: stays to open (rows for `write_stays`) and open
    stays to close (their row ids)."""

    entering: list[dict[str, Any]] = field(default_factory=list)
    leaving: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.entering or self.leaving)


def changes_together(
    session: Session, plan: Together, wanted: dict[int, set[int]], now: datetime
) -> StayChanges:
    """The stays that differ from several segments' definitions, each for the contacts
    `wanted[segment_id]` names. Reads only: per chunk of contacts, one statement
    evaluates every segment for them and one reads their open stays. The relay runs it
    on a read session, so on SQLite the process's one write turn is held for the
    writes alone, not for the evaluation (most of the handler's time)."""
    dialect = session.get_bind().dialect.name
    by_contact: dict[int, list[int]] = {}
    for segment_id, contact_ids in sorted(wanted.items()):
        for contact_id in contact_ids:
            by_contact.setdefault(contact_id, []).append(segment_id)
    everyone = sorted(by_contact)
    if dialect == "postgresql" and everyone:
        # The statement is wide (a column per segment) and its estimated cost passes
        # the JIT threshold, yet it reads a few contacts by index: compiling it took
        # 1.5 s of a 1.6 s run (EXPLAIN ANALYZE, 100 segments, 200 contacts).
        session.execute(text("SET LOCAL jit = off"))
    in_plan = {item.segment_id for item in plan.segments}
    versions = {item.segment_id: item.version for item in plan.segments}
    column = {item.segment_id: index + 1 for index, item in enumerate(plan.segments)}
    stays = select(MEMBERS.c.id, MEMBERS.c.segment_id, MEMBERS.c.contact_id).where(
        MEMBERS.c.left_at.is_(None), ids_clause(MEMBERS.c.contact_id, dialect)
    )
    found = StayChanges()
    for start in range(0, len(everyone), CHECK_CHUNK):
        chunk = everyone[start : start + CHECK_CHUNK]
        params = plan.cutoffs.values(now)
        params["ids"] = ids_value(chunk, dialect)
        # Only the (segment, contact) pairs wanted are read from each row.
        matching: dict[tuple[int, int], int] = {}
        for row in session.execute(plan.statement, params):
            contact_id = row[0]
            for segment_id in by_contact.get(contact_id, ()):
                block = row[column[segment_id]] if segment_id in column else None
                if block is not None:
                    matching[(segment_id, contact_id)] = int(block)
        open_now: dict[tuple[int, int], int] = {}
        for stay_id, segment_id, contact_id in session.execute(
            stays, {"ids": ids_value(chunk, dialect)}
        ):
            if segment_id in in_plan:
                open_now[(segment_id, contact_id)] = stay_id
        for contact_id in chunk:
            for segment_id in by_contact[contact_id]:
                key = (segment_id, contact_id)
                if key in matching and key not in open_now:
                    found.entering.append(
                        {
                            "segment_id": segment_id,
                            "contact_id": contact_id,
                            "entered_at": now,
                            "version": versions[segment_id],
                            "block": matching[key],
                        }
                    )
                elif key in open_now and key not in matching:
                    found.leaving.append(open_now[key])
    return found


def reconcile_together(
    uow: UnitOfWork, plan: Together, wanted: dict[int, set[int]], now: datetime
) -> Changes:
    """Bring several segments' stays in line with their definitions, each for the
    contacts `wanted[segment_id]` names, inside the unit: read, then write in bulk."""
    found = changes_together(uow.session, plan, wanted, now)
    return write_stays(uow, found.entering, found.leaving, now)


def _insert_stays(
    session: Session, entering: list[dict[str, Any]], now: datetime
) -> list[tuple[int, int, int, int]]:
    """Open the stays `entering` describes; (segment, contact, version, block) of those
    written (a contact already in is skipped)."""
    entered: list[tuple[int, int, int, int]] = []
    if session.get_bind().dialect.name == "postgresql":
        # Four arrays and a moment: a short statement psycopg prepares once, where a
        # multi-row VALUES of 2,000 rows was 10,000 placeholders it parsed in Python on
        # every execution (most of the write's time, profiled).
        for start in range(0, len(entering), WRITE_CHUNK):
            part = entering[start : start + WRITE_CHUNK]
            result = session.execute(
                _INSERT_FROM_ARRAYS,
                {
                    "segment_ids": [item["segment_id"] for item in part],
                    "contact_ids": [item["contact_id"] for item in part],
                    "versions": [item["version"] for item in part],
                    "blocks": [item["block"] for item in part],
                    "entered_at": now,
                },
            )
            entered.extend(
                (row.segment_id, row.contact_id, row.version, row.block) for row in result
            )
    else:
        statement = _insert_open_stays(session).returning(MEMBERS.c.segment_id, MEMBERS.c.version)
        for start in range(0, len(entering), WRITE_CHUNK):
            result = session.execute(statement, entering[start : start + WRITE_CHUNK])
            entered.extend(
                (row.segment_id, row.contact_id, row.version, row.block) for row in result
            )
    entered.sort(key=lambda row: (row[0], row[2], row[1]))
    return entered


def _close_stays(
    session: Session, leaving: Collection[int], now: datetime, reason: str
) -> list[tuple[int, int]]:
    """Close the open stays `leaving` names (by row id); (segment, contact) of those closed."""
    dialect = session.get_bind().dialect.name
    statement = (
        sql_update(MEMBERS)
        .where(MEMBERS.c.left_at.is_(None), ids_clause(MEMBERS.c.id, dialect))
        .values(left_at=now, left_reason=reason)
        .returning(MEMBERS.c.segment_id, MEMBERS.c.contact_id)
    )
    closed: list[tuple[int, int]] = []
    ordered = sorted(leaving)
    for start in range(0, len(ordered), WRITE_CHUNK):
        chunk = ordered[start : start + WRITE_CHUNK]
        closed.extend(
            (row.segment_id, row.contact_id)
            for row in session.execute(statement, {"ids": ids_value(chunk, dialect)})
        )
    closed.sort()
    return closed


def write_stays(
    uow: UnitOfWork,
    entering: list[dict[str, Any]],
    leaving: Collection[int],
    now: datetime,
    *,
    reason: str = NO_LONGER_MATCHES,
) -> Changes:
    """Open the stays `entering` describes and close the open stays `leaving` names (by
    row id), over any number of segments, in bulk; publish one event per segment for
    its entries and one for its exits."""
    entered = _insert_stays(uow.session, entering, now) if entering else []
    if entered:
        uow.publish(*entered_events(entered))
    closed = _close_stays(uow.session, leaving, now, reason) if leaving else []
    if leaving:
        uow.publish(*left_events(closed, reason))
    return Changes(len(entered), len(closed))


CONTACT_DELETED = "contact deleted"


def forget_contacts(uow: UnitOfWork, contact_ids: Collection[int]) -> int:
    """Deleted contacts leave every segment they were in (ContactsLeftSegment, reason
    "contact deleted"), and their stays, the history included, are deleted."""
    session = uow.session
    dialect = session.get_bind().dialect.name
    statement = (
        MEMBERS.delete()
        .where(ids_clause(MEMBERS.c.contact_id, dialect))
        .returning(MEMBERS.c.segment_id, MEMBERS.c.contact_id, MEMBERS.c.left_at)
    )
    left: list[tuple[int, int]] = []
    ordered = sorted(contact_ids)
    for start in range(0, len(ordered), WRITE_CHUNK):
        chunk = ordered[start : start + WRITE_CHUNK]
        for row in session.execute(statement, {"ids": ids_value(chunk, dialect)}):
            if row.left_at is None:
                left.append((row.segment_id, row.contact_id))
    left.sort()
    uow.publish(*left_events(left, CONTACT_DELETED))
    return len(left)
