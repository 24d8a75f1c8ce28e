"""Live segments compiled once per version: their statements, the one statement that
evaluates many of them for a list of contacts, the published definition."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    Table,
    and_,
    bindparam,
    literal,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from leadflow.registry.domain import Registry
from leadflow.segments.compiler import (
    Cutoffs,
    compile_segment,
    contacts_table,
    ids_clause,
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
