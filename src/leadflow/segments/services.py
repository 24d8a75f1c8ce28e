"""Use cases of segments: define, go live, stop, build, members, history, explain, export.

Steps take the caller's unit of work (`uow=`) and never commit; the `do_*` use
cases open it, run the step and commit. Reads take a session.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import Conflict, NotFound, ValidationFailed
from leadflow.jobs.models import Job
from leadflow.jobs.services import latest_job, start_job
from leadflow.lib.clock import utcnow
from leadflow.lib.normalize import normalize_email
from leadflow.registry.domain import Registry
from leadflow.segments.compiler import compile_segment, contacts_table
from leadflow.segments.domain import (
    Group,
    SegmentKind,
    SegmentStatus,
    describe,
    empty_tree,
    go_live_problems,
    is_time_relative,
    parse_parts,
    parse_tree,
    top_blocks,
    validate_tree,
)
from leadflow.segments.engine import (
    MEMBERS,
    Changes,
    compile_live,
    open_stays,
    published,
    rebuild,
    write_changes,
)
from leadflow.segments.events import SegmentStopped, SegmentWentLive
from leadflow.segments.models import Segment, SegmentVersion

BUILD_JOB = "segments.build"
MANUAL_BLOCK = -1
MAX_PAGE = 200


# --- reading ---------------------------------------------------------------------------


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


# --- defining --------------------------------------------------------------------------


def _text(data: Mapping[str, Any], name: str, *, required: bool = False, limit: int) -> Any:
    value = data.get(name)
    if value is None:
        if required:
            raise ValidationFailed(f"{name} is required", field=name)
        return None
    if not isinstance(value, str):
        raise ValidationFailed(f"{name} must be text", field=name)
    value = value.strip()
    if required and not value:
        raise ValidationFailed(f"{name} is required", field=name)
    if len(value) > limit:
        raise ValidationFailed(f"{name} is longer than {limit} characters", field=name)
    return value or None


def _check_parts(session: Session, segment_id: int | None, raw: Any) -> list[dict[str, Any]]:
    parts = parse_parts(raw)
    for index, part in enumerate(parts):
        where = f"parts[{index}].segment_id"
        if part.segment_id == segment_id:
            raise ValidationFailed("a compound segment cannot contain itself", field=where)
        other = session.get(Segment, part.segment_id)
        if other is None:
            raise ValidationFailed(f"there is no segment {part.segment_id}", field=where)
        if other.status != SegmentStatus.LIVE.value:
            raise ValidationFailed(f"segment '{other.name}' is not live", field=where)
        if other.kind == SegmentKind.COMPOUND.value:
            raise ValidationFailed(
                f"segment '{other.name}' is compound: combine its parts instead", field=where
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
        raise ValidationFailed("kind is dynamic, static or compound", field="kind") from None
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
        raise Conflict("Stop the segment before deleting it", field="status")
    users = [
        other.name
        for other in uow.session.scalars(
            select(Segment).where(Segment.kind == SegmentKind.COMPOUND.value)
        )
        if any(part.get("segment_id") == segment_id for part in other.parts)
    ]
    if users:
        raise Conflict(f"Compound segments use it: {', '.join(users)}", field="id")
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
        raise Conflict("The segment is already live", field="status")
    problems = check_segment(segment, uow.registry)
    if problems:
        first = problems[0]
        raise ValidationFailed(
            f"{first['path']}: {first['message']}",
            field=first["path"],
            extra={"problems": problems},
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
        raise Conflict("Only a live segment can be stopped", field="status")
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
        raise Conflict(f"Live compound segments use it: {', '.join(users)}", field="id")
    segment.status = SegmentStatus.STOPPED.value
    segment.updated_at = utcnow()
    uow.publish(SegmentStopped(segment.id))
    return segment


def start_build(segment_id: int, *, uow: UnitOfWork, requested_by: int | None = None) -> Job:
    """Rebuild a live segment's members on demand (a job)."""
    segment = get_segment(uow.session, segment_id)
    if segment.status != SegmentStatus.LIVE.value:
        raise Conflict("Only a live segment is built", field="status")
    if segment.kind == SegmentKind.STATIC.value:
        raise Conflict("A static segment's members are kept by hand", field="kind")
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


# --- static members ---------------------------------------------------------------------


def _static(uow: UnitOfWork, segment_id: int) -> Segment:
    segment = get_segment(uow.session, segment_id)
    if segment.kind != SegmentKind.STATIC.value:
        raise Conflict("Members are added by hand only to static segments", field="kind")
    return segment


def _contact_ids_by_email(session: Session, emails: list[str]) -> tuple[list[int], list[str]]:
    contacts = contacts_table()
    wanted: dict[str, str] = {}
    for raw in emails:
        text = raw.strip()
        if not text:
            continue
        try:
            wanted[normalize_email(text)] = text
        except ValueError:
            wanted[text.casefold()] = text
    found: dict[str, int] = {}
    keys = list(wanted)
    for start in range(0, len(keys), 500):
        rows = session.execute(
            select(contacts.c.email_normalized, contacts.c.id).where(
                contacts.c.email_normalized.in_(keys[start : start + 500])
            )
        )
        for email, contact_id in rows:
            found.setdefault(email, contact_id)
    missing = [wanted[key] for key in keys if key not in found]
    return sorted(set(found.values())), missing


def _existing_contacts(session: Session, ids: list[int]) -> list[int]:
    contacts = contacts_table()
    found: list[int] = []
    for start in range(0, len(ids), 500):
        found.extend(
            session.scalars(
                select(contacts.c.id).where(contacts.c.id.in_(ids[start : start + 500]))
            )
        )
    return sorted(set(found))


def add_members(
    segment_id: int,
    *,
    uow: UnitOfWork,
    contact_ids: list[int] | None = None,
    emails: list[str] | None = None,
    query: Any = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Add contacts to a static segment: by id, by email (a CSV column) or once from a
    query; contacts already in stay as they are."""
    segment = _static(uow, segment_id)
    moment = now or utcnow()
    ids = _existing_contacts(uow.session, sorted(set(contact_ids or [])))
    missing: list[str] = []
    if emails:
        by_email, missing = _contact_ids_by_email(uow.session, emails)
        ids = sorted(set(ids) | set(by_email))
    if query is not None:
        tree = validate_tree(query, uow.registry)
        statement, cutoffs = compile_segment(tree, uow.registry, with_block=False)
        ids = sorted(set(ids) | set(uow.session.scalars(statement, cutoffs.values(moment))))
    current = open_stays(uow.session, segment.id, ids)
    entering = {cid: MANUAL_BLOCK for cid in ids if cid not in current}
    changes = write_changes(uow, segment.id, segment.version, entering, (), moment)
    return {"added": changes.entered, "already": len(ids) - changes.entered, "unknown": missing}


def remove_members(
    segment_id: int,
    *,
    uow: UnitOfWork,
    contact_ids: list[int] | None = None,
    emails: list[str] | None = None,
    query: Any = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Remove contacts from a static segment (by id, email or query)."""
    segment = _static(uow, segment_id)
    moment = now or utcnow()
    ids = set(contact_ids or [])
    if emails:
        ids |= set(_contact_ids_by_email(uow.session, emails)[0])
    if query is not None:
        tree = validate_tree(query, uow.registry)
        statement, cutoffs = compile_segment(tree, uow.registry, with_block=False)
        ids |= set(uow.session.scalars(statement, cutoffs.values(moment)))
    current = open_stays(uow.session, segment.id, ids)
    changes = write_changes(
        uow, segment.id, segment.version, {}, current, moment, reason="removed by hand"
    )
    return {"removed": changes.left}


# --- members, history, export ----------------------------------------------------------


def _contact_label(first: str | None, last: str | None, email: str | None, cid: int) -> str:
    name = " ".join(part for part in (first, last) if part)
    return name or email or f"Contact {cid}"


def reason_text(
    session: Session,
    segment: Segment,
    block: int,
    trees: dict[int, Group | None],
    registry: Registry,
    version: int,
) -> str:
    """Why a stay began, in words: the top-level block that admitted the contact."""
    if block == MANUAL_BLOCK:
        return "added by hand"
    if segment.kind == SegmentKind.COMPOUND.value:
        return "in the combined segments"
    if version not in trees:
        trees[version] = version_tree(session, segment.id, version, registry)
    tree = trees[version]
    if tree is None:
        return "matched the query"
    blocks = top_blocks(tree)
    node = blocks[block] if 0 <= block < len(blocks) else tree
    return _sentence(node, registry)


def _sentence(node: Any, registry: Registry) -> str:
    from leadflow.segments.domain import Related

    if isinstance(node, Group):
        parts = [_sentence(child, registry) for child in node.children]
        joiner = " and " if node.op.value == "and" else " or "
        return joiner.join(parts) if parts else "every contact"
    if isinstance(node, Related):
        inner = _sentence(node.where, registry)
        return f"{describe(node, registry)} {inner}"
    return describe(node, registry)


def version_tree(
    session: Session, segment_id: int, version: int, registry: Registry
) -> Group | None:
    definition = session.scalar(
        select(SegmentVersion.definition).where(
            SegmentVersion.segment_id == segment_id, SegmentVersion.version == version
        )
    )
    if definition is None:
        return None
    tree, _ = parse_tree(definition, registry)
    return tree


def members(
    session: Session,
    registry: Registry,
    segment_id: int,
    *,
    search: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> dict[str, Any]:
    """A page of the current members (newest first), optionally searched by name or email."""
    segment = get_segment(session, segment_id)
    limit = max(1, min(limit, MAX_PAGE))
    contacts = contacts_table()
    query = (
        select(
            MEMBERS.c.contact_id,
            MEMBERS.c.entered_at,
            MEMBERS.c.version,
            MEMBERS.c.block,
            contacts.c.first_name,
            contacts.c.last_name,
            contacts.c.email,
        )
        .join(contacts, contacts.c.id == MEMBERS.c.contact_id)
        .where(MEMBERS.c.segment_id == segment.id, MEMBERS.c.left_at.is_(None))
    )
    if search and search.strip():
        term = f"%{search.strip().casefold()}%"
        query = query.where(
            or_(
                func.lower(contacts.c.email).like(term),
                func.lower(contacts.c.first_name).like(term),
                func.lower(contacts.c.last_name).like(term),
            )
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(MEMBERS.c.entered_at.desc(), MEMBERS.c.contact_id.desc())
        .offset(max(0, offset))
        .limit(limit)
    ).all()
    trees: dict[int, Group | None] = {}
    items = [
        {
            "contact_id": row.contact_id,
            "name": _contact_label(row.first_name, row.last_name, row.email, row.contact_id),
            "email": row.email,
            "entered_at": _iso(row.entered_at),
            "version": row.version,
            "block": row.block,
            "reason": reason_text(session, segment, row.block, trees, registry, row.version),
        }
        for row in rows
    ]
    return {"total": total, "offset": offset, "limit": limit, "items": items}


def history(
    session: Session,
    segment_id: int,
    *,
    contact_id: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Entries and exits, newest first: one item per entry and one per exit."""
    get_segment(session, segment_id)
    contacts = contacts_table()
    query = (
        select(
            MEMBERS.c.contact_id,
            MEMBERS.c.entered_at,
            MEMBERS.c.left_at,
            MEMBERS.c.left_reason,
            MEMBERS.c.version,
            contacts.c.first_name,
            contacts.c.last_name,
            contacts.c.email,
        )
        .join(contacts, contacts.c.id == MEMBERS.c.contact_id)
        .where(MEMBERS.c.segment_id == segment_id)
    )
    if contact_id is not None:
        query = query.where(MEMBERS.c.contact_id == contact_id)
    limit = max(1, min(limit, 1000))
    rows = session.execute(
        query.order_by(
            func.coalesce(MEMBERS.c.left_at, MEMBERS.c.entered_at).desc(), MEMBERS.c.id.desc()
        ).limit(limit)
    ).all()
    items: list[dict[str, Any]] = []
    for row in rows:
        name = _contact_label(row.first_name, row.last_name, row.email, row.contact_id)
        if row.left_at is not None:
            items.append(
                {
                    "contact_id": row.contact_id,
                    "name": name,
                    "change": "left",
                    "at": _iso(row.left_at),
                    "version": row.version,
                    "reason": row.left_reason,
                }
            )
        items.append(
            {
                "contact_id": row.contact_id,
                "name": name,
                "change": "entered",
                "at": _iso(row.entered_at),
                "version": row.version,
                "reason": None,
            }
        )
    items.sort(key=lambda item: item["at"] or "", reverse=True)
    return items[:limit]


def export_csv(session: Session, registry: Registry, segment_id: int) -> Iterator[str]:
    """The current members as CSV lines: id, email, names, entered, reason."""
    segment = get_segment(session, segment_id)
    contacts = contacts_table()
    header = io.StringIO()
    writer = csv.writer(header)
    writer.writerow(["contact_id", "email", "first_name", "last_name", "entered_at", "reason"])
    yield header.getvalue()
    trees: dict[int, Group | None] = {}
    query = (
        select(
            MEMBERS.c.contact_id,
            MEMBERS.c.entered_at,
            MEMBERS.c.block,
            MEMBERS.c.version,
            contacts.c.email,
            contacts.c.first_name,
            contacts.c.last_name,
        )
        .join(contacts, contacts.c.id == MEMBERS.c.contact_id)
        .where(MEMBERS.c.segment_id == segment.id, MEMBERS.c.left_at.is_(None))
        .order_by(MEMBERS.c.contact_id)
        .execution_options(yield_per=2000)
    )
    for row in session.execute(query):
        buffer = io.StringIO()
        csv.writer(buffer).writerow(
            [
                row.contact_id,
                row.email or "",
                row.first_name or "",
                row.last_name or "",
                _iso(row.entered_at),
                reason_text(session, segment, row.block, trees, registry, row.version),
            ]
        )
        yield buffer.getvalue()


def contact_name(session: Session, contact_id: int) -> str:
    contacts = contacts_table()
    row = session.execute(
        select(contacts.c.first_name, contacts.c.last_name, contacts.c.email).where(
            contacts.c.id == contact_id
        )
    ).first()
    if row is None:
        raise NotFound(f"No contact {contact_id}", field="contact_id")
    return _contact_label(row.first_name, row.last_name, row.email, contact_id)


def segments_of_contact(
    session: Session, registry: Registry, contact_id: int
) -> list[dict[str, Any]]:
    """The segments a contact is in now: since when and why (the contact page's panel)."""
    rows = session.execute(
        select(Segment, MEMBERS.c.entered_at, MEMBERS.c.block, MEMBERS.c.version)
        .join(MEMBERS, MEMBERS.c.segment_id == Segment.id)
        .where(MEMBERS.c.contact_id == contact_id, MEMBERS.c.left_at.is_(None))
        .order_by(Segment.name)
    ).all()
    found = []
    for segment, entered_at, block, version in rows:
        found.append(
            {
                "segment_id": segment.id,
                "name": segment.name,
                "status": segment.status,
                "since": _iso(entered_at),
                "reason": reason_text(session, segment, block, {}, registry, version),
            }
        )
    return found


# --- estimate --------------------------------------------------------------------------


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


do_create_segment = in_own_transaction(create_segment)
do_update_segment = in_own_transaction(update_segment)
do_delete_segment = in_own_transaction(delete_segment)
do_go_live = in_own_transaction(go_live)
do_stop_segment = in_own_transaction(stop_segment)
do_start_build = in_own_transaction(start_build)
do_add_members = in_own_transaction(add_members)
do_remove_members = in_own_transaction(remove_members)


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
