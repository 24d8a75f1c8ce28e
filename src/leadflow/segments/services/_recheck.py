"""The scheduled re-check of live segments: moving windows narrowed, or every contact."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from leadflow.lib.clock import utcnow
from leadflow.segments.domain import (
    SegmentKind,
    SegmentStatus,
)
from leadflow.segments.engine import (
    Changes,
)
from leadflow.segments.models import Segment
from leadflow.segments.services._reading import mark_rechecked


def recheck_segments(
    container: Any, *, only_time_relative: bool, now: datetime | None = None
) -> dict[str, int]:
    """Evaluate live segments and write the differences; returns the counts entered
    and left over all of them.

    The moving-window sweep (`only_time_relative`) evaluates only the contacts a
    window's edge passed over since each segment's last re-check (`window_candidates`),
    all such segments in one statement per chunk of contacts; the nightly sweep, and a
    segment whose windows cannot be narrowed so, evaluate every contact (each segment
    in its own transaction)."""
    from leadflow.segments.compiler import window_candidates
    from leadflow.segments.engine import LiveSegments, reconcile, reconcile_together

    total = Changes()
    with container.read_session() as session:
        query = select(Segment.id, Segment.rechecked_at).where(
            Segment.status == SegmentStatus.LIVE.value,
            Segment.kind != SegmentKind.STATIC.value,
        )
        if only_time_relative:
            query = query.where(Segment.time_relative.is_(True))
        wanted: dict[int, datetime | None] = {
            segment_id: rechecked for segment_id, rechecked in session.execute(query)
        }
    if not wanted:
        return {**total.public(), "segments": 0}
    moment = now or utcnow()
    live = LiveSegments()
    with container.uow() as uow:
        compiled = [c for c in live.current(uow.session, uow.registry) if c.segment_id in wanted]
        narrowed: dict[int, set[int]] = {}
        if only_time_relative:
            for item in compiled:
                since = wanted[item.segment_id]
                if item.kind is SegmentKind.COMPOUND or item.tree is None or since is None:
                    continue
                candidates = window_candidates(item.tree, uow.registry, since, moment)
                if candidates is not None:
                    narrowed[item.segment_id] = set(uow.session.scalars(candidates))
        if narrowed:
            chosen = [item for item in compiled if item.segment_id in narrowed]
            plan = live.together(chosen, uow.registry, uow.session.get_bind().dialect.name)
            total.add(reconcile_together(uow, plan, narrowed, moment))
            for segment_id in narrowed:
                mark_rechecked(uow.session, segment_id, moment)
            uow.commit()
    # Plain segments first: compound ones read their parts' stored members.
    compiled.sort(key=lambda item: item.kind == SegmentKind.COMPOUND)
    for item in compiled:
        if item.segment_id in narrowed:
            continue
        with container.uow() as uow:
            total.add(reconcile(uow, item, moment, None))
            mark_rechecked(uow.session, item.segment_id, moment)
            uow.commit()
    return {**total.public(), "segments": len(compiled)}
