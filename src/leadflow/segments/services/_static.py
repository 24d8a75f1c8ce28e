"""Members of static segments, added and removed by hand, by email or once from a query."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import Conflict, ErrorCode
from leadflow.lib.clock import utcnow
from leadflow.lib.normalize import normalize_email
from leadflow.segments.compiler import compile_segment, contacts_table
from leadflow.segments.domain import (
    SegmentKind,
    validate_tree,
)
from leadflow.segments.engine import (
    open_stays,
    write_changes,
)
from leadflow.segments.models import Segment
from leadflow.segments.services._reading import MANUAL_BLOCK, get_segment


def _static(uow: UnitOfWork, segment_id: int) -> Segment:
    segment = get_segment(uow.session, segment_id)
    if segment.kind != SegmentKind.STATIC.value:
        raise Conflict(
            "Members are added by hand only to static segments",
            field="kind",
            code=ErrorCode.SEGMENT_KIND_MISMATCH,
        )
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


do_add_members = in_own_transaction(add_members)


do_remove_members = in_own_transaction(remove_members)
