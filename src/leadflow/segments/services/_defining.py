"""Defining segments and their lifecycle: create, edit (a new version), delete, go
live, stop, build."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import Conflict, ErrorCode, ValidationFailed
from leadflow.jobs.models import Job
from leadflow.jobs.services import latest_job, start_job
from leadflow.lib.clock import utcnow
from leadflow.registry.domain import Registry
from leadflow.segments.domain import (
    SegmentKind,
    SegmentStatus,
    empty_tree,
    go_live_problems,
    is_time_relative,
    parse_parts,
    parse_tree,
    validate_tree,
)
from leadflow.segments.engine import (
    Changes,
    compile_live,
    published,
    rebuild,
)
from leadflow.segments.events import SegmentStopped, SegmentWentLive
from leadflow.segments.models import Segment, SegmentVersion
from leadflow.segments.services._reading import BUILD_JOB, get_segment


def _text(data: Mapping[str, Any], name: str, *, required: bool = False, limit: int) -> Any:
    value = data.get(name)
    if value is None:
        if required:
            raise ValidationFailed(f"{name} is required", field=name, code=ErrorCode.REQUIRED)
        return None
    if not isinstance(value, str):
        raise ValidationFailed(f"{name} must be text", field=name, code=ErrorCode.NOT_TEXT)
    value = value.strip()
    if required and not value:
        raise ValidationFailed(f"{name} is required", field=name, code=ErrorCode.REQUIRED)
    if len(value) > limit:
        raise ValidationFailed(
            f"{name} is longer than {limit} characters", field=name, code=ErrorCode.TEXT_TOO_LONG
        )
    return value or None


def _check_parts(session: Session, segment_id: int | None, raw: Any) -> list[dict[str, Any]]:
    parts = parse_parts(raw)
    for index, part in enumerate(parts):
        where = f"parts[{index}].segment_id"
        if part.segment_id == segment_id:
            raise ValidationFailed(
                "a compound segment cannot contain itself",
                field=where,
                code=ErrorCode.SEGMENT_DEFINITION_INVALID,
            )
        other = session.get(Segment, part.segment_id)
        if other is None:
            raise ValidationFailed(
                f"there is no segment {part.segment_id}",
                field=where,
                code=ErrorCode.REFERENCE_UNKNOWN,
            )
        if other.status != SegmentStatus.LIVE.value:
            raise ValidationFailed(
                f"segment '{other.name}' is not live", field=where, code=ErrorCode.NOT_LIVE
            )
        if other.kind == SegmentKind.COMPOUND.value:
            raise ValidationFailed(
                f"segment '{other.name}' is compound: combine its parts instead",
                field=where,
                code=ErrorCode.SEGMENT_DEFINITION_INVALID,
            )
    return [{"segment_id": p.segment_id, "op": p.op.value} for p in parts]


def create_segment(
    data: Mapping[str, Any], *, uow: UnitOfWork, created_by: int | None = None
) -> Segment:
    """A draft segment; a dynamic one's tree is validated against the registry."""
    name = _text(data, "name", required=True, limit=200)
    try:
        kind = SegmentKind(data.get("kind") or "dynamic")
    except ValueError:
        raise ValidationFailed(
            "kind is dynamic, static or compound", field="kind", code=ErrorCode.NOT_A_CHOICE
        ) from None
    definition: dict[str, Any] = empty_tree()
    parts: list[dict[str, Any]] = []
    if kind is SegmentKind.DYNAMIC and data.get("definition") is not None:
        validate_tree(data["definition"], uow.registry)
        definition = data["definition"]
    if kind is SegmentKind.COMPOUND:
        parts = _check_parts(uow.session, None, data.get("parts"))
    now = utcnow()
    segment = Segment(
        name=name,
        description=_text(data, "description", limit=5000),
        kind=kind.value,
        status=SegmentStatus.DRAFT.value,
        version=0,
        definition=definition,
        parts=parts,
        time_relative=False,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(segment)
    uow.session.flush()
    return segment


def _publish_version(segment: Segment, *, uow: UnitOfWork, requested_by: int | None) -> Job | None:
    """A new version of the segment's definition, and its full build (a job)."""
    segment.version += 1
    uow.session.add(
        SegmentVersion(
            segment_id=segment.id,
            version=segment.version,
            definition=segment.definition,
            parts=segment.parts,
            created_by=requested_by,
            created_at=utcnow(),
        )
    )
    uow.session.flush()
    uow.publish(SegmentWentLive(segment.id, segment.version))
    if segment.kind == SegmentKind.STATIC.value:
        return None
    return start_job(
        BUILD_JOB,
        {"segment_id": segment.id, "version": segment.version},
        uow=uow,
        requested_by=requested_by,
    )


def update_segment(
    segment_id: int,
    data: Mapping[str, Any],
    *,
    uow: UnitOfWork,
    requested_by: int | None = None,
) -> tuple[Segment, Job | None]:
    """Edit name, description, definition or parts; on a live segment a changed
    definition is a new version whose members are rebuilt (the job is returned)."""
    segment = get_segment(uow.session, segment_id)
    if "name" in data:
        segment.name = _text(data, "name", required=True, limit=200)
    if "description" in data:
        segment.description = _text(data, "description", limit=5000)
    changed = False
    if "definition" in data and segment.kind == SegmentKind.DYNAMIC.value:
        validate_tree(data["definition"], uow.registry)
        changed = data["definition"] != segment.definition
        segment.definition = data["definition"]
    if "parts" in data and segment.kind == SegmentKind.COMPOUND.value:
        parts = _check_parts(uow.session, segment.id, data["parts"])
        changed = changed or parts != segment.parts
        segment.parts = parts
    segment.updated_at = utcnow()
    job = None
    if changed and segment.status == SegmentStatus.LIVE.value:
        tree, _ = parse_tree(segment.definition, uow.registry)
        segment.time_relative = is_time_relative(tree)
        job = _publish_version(segment, uow=uow, requested_by=requested_by)
    uow.session.flush()
    return segment, job


def delete_segment(segment_id: int, *, uow: UnitOfWork) -> None:
    segment = get_segment(uow.session, segment_id)
    if segment.status == SegmentStatus.LIVE.value:
        raise Conflict(
            "Stop the segment before deleting it", field="status", code=ErrorCode.NOT_STOPPED
        )
    users = [
        other.name
        for other in uow.session.scalars(
            select(Segment).where(Segment.kind == SegmentKind.COMPOUND.value)
        )
        if any(part.get("segment_id") == segment_id for part in other.parts)
    ]
    if users:
        raise Conflict(
            f"Compound segments use it: {', '.join(users)}",
            field="id",
            code=ErrorCode.HAS_DEPENDENTS,
        )
    uow.session.delete(segment)
    uow.session.flush()


def check_segment(segment: Segment, registry: Registry) -> list[dict[str, str]]:
    """What blocks going live, each with its path in the tree."""
    if segment.kind != SegmentKind.DYNAMIC.value:
        return []
    tree, problems = parse_tree(segment.definition, registry)
    return go_live_problems(tree, problems).public()


def go_live(
    segment_id: int, *, uow: UnitOfWork, requested_by: int | None = None
) -> tuple[Segment, Job | None]:
    """Draft or stopped -> live: publish a version and start its full build."""
    segment = get_segment(uow.session, segment_id)
    if segment.status == SegmentStatus.LIVE.value:
        raise Conflict("The segment is already live", field="status", code=ErrorCode.ALREADY_LIVE)
    problems = check_segment(segment, uow.registry)
    if problems:
        first = problems[0]
        raise ValidationFailed(
            f"{first['path']}: {first['message']}",
            field=first["path"],
            extra={"problems": problems},
            code=ErrorCode.SEGMENT_DEFINITION_INVALID,
        )
    if segment.kind == SegmentKind.COMPOUND.value:
        _check_parts(uow.session, segment.id, segment.parts)
    tree, _ = parse_tree(segment.definition, uow.registry)
    segment.time_relative = segment.kind == SegmentKind.DYNAMIC.value and is_time_relative(tree)
    segment.status = SegmentStatus.LIVE.value
    segment.went_live_at = utcnow()
    segment.updated_at = utcnow()
    job = _publish_version(segment, uow=uow, requested_by=requested_by)
    return segment, job


def stop_segment(segment_id: int, *, uow: UnitOfWork) -> Segment:
    """Live -> stopped: the members stay as they are and are no longer kept current."""
    segment = get_segment(uow.session, segment_id)
    if segment.status != SegmentStatus.LIVE.value:
        raise Conflict(
            "Only a live segment can be stopped", field="status", code=ErrorCode.NOT_LIVE
        )
    users = [
        other.name
        for other in uow.session.scalars(
            select(Segment).where(
                Segment.kind == SegmentKind.COMPOUND.value,
                Segment.status == SegmentStatus.LIVE.value,
            )
        )
        if any(part.get("segment_id") == segment_id for part in other.parts)
    ]
    if users:
        raise Conflict(
            f"Live compound segments use it: {', '.join(users)}",
            field="id",
            code=ErrorCode.HAS_DEPENDENTS,
        )
    segment.status = SegmentStatus.STOPPED.value
    segment.updated_at = utcnow()
    uow.publish(SegmentStopped(segment.id))
    return segment


def start_build(segment_id: int, *, uow: UnitOfWork, requested_by: int | None = None) -> Job:
    """Rebuild a live segment's members on demand (a job)."""
    segment = get_segment(uow.session, segment_id)
    if segment.status != SegmentStatus.LIVE.value:
        raise Conflict("Only a live segment is built", field="status", code=ErrorCode.NOT_LIVE)
    if segment.kind == SegmentKind.STATIC.value:
        raise Conflict(
            "A static segment's members are kept by hand",
            field="kind",
            code=ErrorCode.SEGMENT_KIND_MISMATCH,
        )
    return start_job(
        BUILD_JOB,
        {"segment_id": segment.id, "version": segment.version},
        uow=uow,
        requested_by=requested_by,
    )


def build_segment(
    segment_id: int,
    *,
    uow: UnitOfWork,
    now: datetime | None = None,
    each_chunk: Any = None,
) -> Changes:
    """The full build of a live segment: every contact evaluated once, the differences
    written (`each_chunk(done, total)` runs between write chunks)."""
    segment = get_segment(uow.session, segment_id)
    if segment.status != SegmentStatus.LIVE.value or segment.kind == SegmentKind.STATIC.value:
        return Changes()
    definition, parts = published(uow.session, segment)
    compiled = compile_live(segment, definition, parts, uow.registry)
    moment = now or utcnow()
    changes = rebuild(uow, compiled, moment, each_chunk=each_chunk)
    segment.built_at = moment
    segment.rechecked_at = moment
    return changes


def latest_build(session: Session, segment_id: int) -> Job | None:
    return latest_job(session, BUILD_JOB, segment_id=segment_id)


do_create_segment = in_own_transaction(create_segment)


do_update_segment = in_own_transaction(update_segment)


do_delete_segment = in_own_transaction(delete_segment)


do_go_live = in_own_transaction(go_live)


do_stop_segment = in_own_transaction(stop_segment)


do_start_build = in_own_transaction(start_build)
