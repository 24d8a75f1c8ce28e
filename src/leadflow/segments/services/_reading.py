"""Reading segments, their versions and counts; the estimate of a draft tree."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from leadflow.errors import NotFound
from leadflow.lib.clock import utcnow
from leadflow.registry.domain import Registry
from leadflow.segments.compiler import compile_segment
from leadflow.segments.domain import (
    Group,
    parse_tree,
)
from leadflow.segments.engine import (
    MEMBERS,
)
from leadflow.segments.models import Segment, SegmentVersion

BUILD_JOB = "segments.build"


MANUAL_BLOCK = -1


MAX_PAGE = 200


def get_segment(session: Session, segment_id: int) -> Segment:
    segment = session.get(Segment, segment_id)
    if segment is None:
        raise NotFound(f"No segment {segment_id}", field="segment_id")
    return segment


def member_counts(session: Session, segment_ids: list[int] | None = None) -> dict[int, int]:
    query = (
        select(MEMBERS.c.segment_id, func.count())
        .where(MEMBERS.c.left_at.is_(None))
        .group_by(MEMBERS.c.segment_id)
    )
    if segment_ids is not None:
        query = query.where(MEMBERS.c.segment_id.in_(segment_ids))
    return {segment_id: count for segment_id, count in session.execute(query)}


def list_segments(session: Session) -> list[Segment]:
    return list(session.scalars(select(Segment).order_by(Segment.name, Segment.id)))


def segment_public(segment: Segment, members: int | None = None) -> dict[str, Any]:
    return {
        "id": segment.id,
        "name": segment.name,
        "description": segment.description,
        "kind": segment.kind,
        "status": segment.status,
        "version": segment.version,
        "definition": segment.definition,
        "parts": segment.parts,
        "time_relative": segment.time_relative,
        "members": members,
        "went_live_at": _iso(segment.went_live_at),
        "built_at": _iso(segment.built_at),
        "rechecked_at": _iso(segment.rechecked_at),
        "created_at": _iso(segment.created_at),
        "updated_at": _iso(segment.updated_at),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def versions(session: Session, segment_id: int) -> list[dict[str, Any]]:
    get_segment(session, segment_id)
    rows = session.scalars(
        select(SegmentVersion)
        .where(SegmentVersion.segment_id == segment_id)
        .order_by(SegmentVersion.version.desc())
    )
    return [
        {
            "version": row.version,
            "definition": row.definition,
            "parts": row.parts,
            "created_at": _iso(row.created_at),
        }
        for row in rows
    ]


def estimate(
    session: Session, registry: Registry, definition: Any, *, now: datetime | None = None
) -> dict[str, Any]:
    """How many contacts a (draft) tree admits now, and how many each top-level node
    admits alone; problems instead when the tree does not validate."""
    tree, problems = parse_tree(definition, registry)
    if problems:
        return {"count": None, "nodes": [], "problems": problems.public()}
    moment = now or utcnow()
    statement, cutoffs = compile_segment(tree, registry, with_block=False)
    count = session.scalar(
        select(func.count()).select_from(statement.subquery()), cutoffs.values(moment)
    )
    nodes = []
    for index, child in enumerate(tree.children):
        alone, child_cutoffs = compile_segment(Group(tree.op, (child,)), registry, with_block=False)
        nodes.append(
            {
                "path": f"root.children[{index}]",
                "count": session.scalar(
                    select(func.count()).select_from(alone.subquery()),
                    child_cutoffs.values(moment),
                ),
            }
        )
    return {"count": count, "nodes": nodes, "problems": []}


def mark_rechecked(session: Session, segment_id: int, now: datetime) -> None:
    session.execute(update(Segment).where(Segment.id == segment_id).values(rechecked_at=now))
