"""Members, history, CSV export and the reasons of stays, in words."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from leadflow.errors import NotFound
from leadflow.registry.domain import Registry
from leadflow.segments.compiler import contacts_table
from leadflow.segments.domain import (
    Group,
    SegmentKind,
    describe,
    parse_tree,
    top_blocks,
)
from leadflow.segments.engine import (
    MEMBERS,
)
from leadflow.segments.models import Segment, SegmentVersion
from leadflow.segments.services._reading import MANUAL_BLOCK, MAX_PAGE, _iso, get_segment


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
