"""Keeps memberships current: evaluate a segment for some contacts (or all of them),
compare with the open stays, write who entered and who left, publish the events.

The compare is per segment and per scope: the incremental path scopes to the
contacts a batch of events touched (`contact.id IN (:contact_ids)`), the full
build to every contact. Writes are bulk statements; events follow the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    func,
    literal,
    not_,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy import update as sql_update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork
from leadflow.registry.domain import Registry
from leadflow.segments.compiler import (
    Cutoffs,
    compile_segment,
    contacts_table,
    ids_clause,
    ids_value,
    membership_case,
    scope_to_ids,
)
from leadflow.segments.domain import (
    CombineOp,
    Group,
    Part,
    SegmentKind,
    SegmentStatus,
    fields_read,
    parse_parts,
    parse_tree,
)
from leadflow.segments.events import entered_events, left_events
from leadflow.segments.models import Segment, SegmentMembership

MEMBERS = cast(Table, SegmentMembership.__table__)
IN_CHUNK = 500
WRITE_CHUNK = 2000
NO_LONGER_MATCHES = "no longer matches"


@dataclass(frozen=True)
class Compiled:
    """A live segment ready to evaluate: its statements and their cutoffs."""

    segment_id: int
    kind: SegmentKind
    version: int
    tree: Group | None
    parts: tuple[Part, ...]
    full: Select[Any]
    scoped: Select[Any]
    cutoffs: Cutoffs
    # entity -> fields the definition reads (compound: none; they follow their parts)
    reads: dict[str, set[str]] = field(default_factory=dict)

    # The scoped statement and the open stays of the same contacts in one round trip.
    checked: CompoundSelect[Any] | None = None

    def params(self, now: datetime, ids: Collection[int] | None = None) -> dict[str, Any]:
        values = self.cutoffs.values(now)
        if ids is not None:
            values["contact_ids"] = sorted(ids)
        return values


def with_stays(segment_id: int, scoped: Select[Any]) -> CompoundSelect[Any]:
    """Rows (contact_id, block, matches) for the contacts in `contact_ids`: matches 1
    from the segment's scoped statement, 0 from its open stays."""
    stays = select(
        MEMBERS.c.contact_id, literal(0).label("block"), literal(0).label("matches")
    ).where(
        MEMBERS.c.segment_id == segment_id,
        MEMBERS.c.left_at.is_(None),
        MEMBERS.c.contact_id.in_(bindparam("contact_ids", expanding=True)),
    )
    return union_all(scoped.add_columns(literal(1).label("matches")), stays)


def open_members_of(segment_id: int) -> Select[Any]:
    return select(MEMBERS.c.contact_id).where(
        MEMBERS.c.segment_id == segment_id, MEMBERS.c.left_at.is_(None)
    )


def compound_statement(parts: tuple[Part, ...]) -> Select[Any]:
    """SELECT contact_id, block of the contacts the parts combine to, left to right,
    from the parts' stored memberships (never their queries)."""
    contacts = contacts_table()
    clause: ColumnElement[bool] | None = None
    for part in parts:
        holds = contacts.c.id.in_(open_members_of(part.segment_id))
        if clause is None:
            clause = holds
        elif part.op is CombineOp.UNION:
            clause = or_(clause, holds)
        elif part.op is CombineOp.INTERSECT:
            clause = and_(clause, holds)
        else:
            clause = and_(clause, not_(holds))
    assert clause is not None
    return select(contacts.c.id.label("contact_id"), literal(0).label("block")).where(clause)


def compile_live(segment: Segment, definition: Any, parts: Any, registry: Registry) -> Compiled:
    kind = SegmentKind(segment.kind)
    if kind is SegmentKind.COMPOUND:
        parsed_parts = parse_parts(parts)
        full = compound_statement(parsed_parts)
        scoped = scope_to_ids(full)
        return Compiled(
            segment.id, kind, segment.version, None, parsed_parts, full, scoped, Cutoffs(),
            checked=with_stays(segment.id, scoped),
        )  # fmt: skip
    tree, _problems = parse_tree(definition, registry)
    full, cutoffs = compile_segment(tree, registry)
    correlated, correlated_cutoffs = compile_segment(tree, registry, correlated=True)
    cutoffs.days.update(correlated_cutoffs.days)
    scoped = scope_to_ids(correlated)
    return Compiled(
        segment.id,
        kind,
        segment.version,
        tree,
        (),
        full,
        scoped,
        cutoffs,
        fields_read(tree),
        with_stays(segment.id, scoped),
    )


def _fingerprint(registry: Registry) -> tuple[Any, ...]:
    """What a compiled statement depends on in the registry: the custom fields (the
    built-in ones never change in a running process)."""
    return tuple(
        sorted(
            (entity, name, definition.type.value, definition.options)
            for entity, fields in registry.fields.items()
            for name, definition in fields.items()
            if definition.custom
        )
    )


@dataclass(frozen=True)
class Together:
    """Several live dynamic segments evaluated in ONE statement for a list of contacts:
    a row per contact, a column per segment holding the block that admits the contact
    (NULL: out). The contacts are one bound parameter (`ids`), so the statement's text
    is the same for every batch and the database plans it once."""

    segments: tuple[Compiled, ...]
    statement: Select[Any]
    cutoffs: Cutoffs


def together(segments: Collection[Compiled], registry: Registry, dialect: str) -> Together:
    ordered = tuple(sorted(segments, key=lambda item: item.segment_id))
    cutoffs = Cutoffs()
    contacts = contacts_table()
    columns = [
        membership_case(item.tree, registry, cutoffs).label(f"s{index}")
        for index, item in enumerate(ordered)
        if item.tree is not None
    ]
    statement = select(contacts.c.id.label("contact_id"), *columns).where(
        ids_clause(contacts.c.id, dialect)
    )
    return Together(ordered, statement, cutoffs)


TOGETHER_CACHE = 64


class LiveSegments:
    """The live dynamic and compound segments, compiled once per version in this process
    (again when custom fields change): one small query per batch finds which are live."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, int], tuple[tuple[Any, ...], Compiled]] = {}
        self._together: dict[tuple[Any, ...], Together] = {}

    def together(
        self, segments: Collection[Compiled], registry: Registry, dialect: str
    ) -> Together:
        """The one statement for these segments (compiled once per set of versions)."""
        key = (
            dialect,
            _fingerprint(registry),
            tuple(sorted((item.segment_id, item.version) for item in segments)),
        )
        found = self._together.get(key)
        if found is None:
            if len(self._together) >= TOGETHER_CACHE:
                self._together.clear()
            found = self._together[key] = together(segments, registry, dialect)
        return found

    def current(self, session: Session, registry: Registry) -> list[Compiled]:
        rows = session.execute(
            select(Segment.id, Segment.version).where(
                Segment.status == SegmentStatus.LIVE.value,
                Segment.kind.in_([SegmentKind.DYNAMIC.value, SegmentKind.COMPOUND.value]),
            )
        ).all()
        fingerprint = _fingerprint(registry)
        found = []
        for segment_id, version in rows:
            key = (segment_id, version)
            cached = self._cache.get(key)
            if cached is None or cached[0] != fingerprint:
                segment = session.get(Segment, segment_id)
                if segment is None:
                    continue
                definition, parts = published(session, segment)
                cached = (fingerprint, compile_live(segment, definition, parts, registry))
                self._cache[key] = cached
            found.append(cached[1])
        return found


def published(session: Session, segment: Segment) -> tuple[Any, Any]:
    """The live version's definition and parts."""
    from leadflow.segments.models import SegmentVersion

    row = session.execute(
        select(SegmentVersion.definition, SegmentVersion.parts).where(
            SegmentVersion.segment_id == segment.id,
            SegmentVersion.version == segment.version,
        )
    ).first()
    if row is None:
        return segment.definition, segment.parts
    return row.definition, row.parts


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
    session = uow.session
    entered: list[tuple[int, int, int, int]] = []
    if entering and session.get_bind().dialect.name == "postgresql":
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
        entered.sort()
    elif entering:
        statement = _insert_open_stays(session).returning(MEMBERS.c.segment_id, MEMBERS.c.version)
        for start in range(0, len(entering), WRITE_CHUNK):
            result = session.execute(statement, entering[start : start + WRITE_CHUNK])
            entered.extend(
                (row.segment_id, row.contact_id, row.version, row.block) for row in result
            )
        entered.sort()
    if entered:
        entered.sort(key=lambda row: (row[0], row[2], row[1]))
        uow.publish(*entered_events(entered))
    closed: list[tuple[int, int]] = []
    if leaving:
        dialect = session.get_bind().dialect.name
        statement = (
            sql_update(MEMBERS)
            .where(MEMBERS.c.left_at.is_(None), ids_clause(MEMBERS.c.id, dialect))
            .values(left_at=now, left_reason=reason)
            .returning(MEMBERS.c.segment_id, MEMBERS.c.contact_id)
        )
        ordered = sorted(leaving)
        for start in range(0, len(ordered), WRITE_CHUNK):
            chunk = ordered[start : start + WRITE_CHUNK]
            closed.extend(
                (row.segment_id, row.contact_id)
                for row in session.execute(statement, {"ids": ids_value(chunk, dialect)})
            )
        closed.sort()
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
