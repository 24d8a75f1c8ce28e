"""Explain: for one contact and one segment, in or out, and per node of the tree
whether it held and on which related records.

Each node is evaluated alone with the compiler's correlated form, on the rows it
sits under for this contact: the contact itself at the top, its related records
below a related node (only those the related node's link reaches).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, FromClause, exists, literal, select
from sqlalchemy.orm import Session

from leadflow.lib.clock import utcnow
from leadflow.registry.domain import Registry
from leadflow.segments.compiler import (
    Cutoffs,
    behaviour_conditions_for,
    contacts_table,
    entity_table,
    node_predicate,
)
from leadflow.segments.domain import (
    EVENT_REGISTRATION,
    Behaviour,
    FieldRow,
    Group,
    Node,
    Related,
    SegmentKind,
    describe,
    parse_parts,
    parse_tree,
    query_registry,
)
from leadflow.segments.engine import MEMBERS, published
from leadflow.segments.models import Segment
from leadflow.segments.services import get_segment, reason_text

MAX_RECORDS = 20

_LABELS = {
    "lead": "topic",
    "account": "name",
    "opportunity": "name",
}


def _label_column(entity: str, row: FromClause) -> ColumnElement[Any]:
    if entity == EVENT_REGISTRATION:
        return row.c.event_id
    return row.c[_LABELS.get(entity, "id")]


def _records(
    session: Session,
    entity: str,
    row: FromClause,
    scope: ColumnElement[bool],
    condition: ColumnElement[bool] | None,
    params: dict[str, Any],
) -> list[dict[str, Any]]:
    query = select(row.c.id, _label_column(entity, row).label("label")).where(scope)
    if condition is not None:
        query = query.where(condition)
    rows = session.execute(query.order_by(row.c.id).limit(MAX_RECORDS), params).all()
    found = []
    for item in rows:
        label = item.label
        if entity == EVENT_REGISTRATION:
            label = f"Registration for event {label}"
        found.append({"entity": entity, "id": item.id, "label": str(label or f"#{item.id}")})
    return found


def _explain(
    session: Session,
    registry: Registry,
    node: Node,
    entity: str,
    row: FromClause,
    scope: ColumnElement[bool],
    path: str,
    cutoffs: Cutoffs,
    now: datetime,
) -> dict[str, Any]:
    condition = node_predicate(node, row, registry, cutoffs)
    params = cutoffs.values(now)
    held = bool(
        session.scalar(
            select(exists(select(literal(1)).select_from(row).where(scope, condition))), params
        )
    )
    item: dict[str, Any] = {
        "path": path,
        "type": _type(node),
        "text": describe(node, registry),
        "held": held,
    }
    if entity != "contact":
        item["records"] = _records(session, entity, row, scope, condition, params)
    if isinstance(node, Group):
        item["children"] = [
            _explain(
                session, registry, child, entity, row, scope, f"{path}.children[{index}]",
                cutoffs, now,
            )
            for index, child in enumerate(node.children)
        ]  # fmt: skip
    elif isinstance(node, Related):
        child = entity_table(node.link.entity).alias(f"x_{len(path)}")
        parents = select(row.c.id if node.link.many else row.c[node.link.key]).where(scope)
        if node.link.many:
            child_scope = child.c[node.link.key].in_(parents)
        else:
            child_scope = child.c.id.in_(parents)
        matching = (
            node_predicate(node.where, child, registry, cutoffs) if node.where.children else None
        )
        item["records"] = _records(
            session, node.link.entity, child, child_scope, matching, cutoffs.values(now)
        )
        item["where"] = _explain(
            session, registry, node.where, node.link.entity, child, child_scope,
            f"{path}.where", cutoffs, now,
        )  # fmt: skip
    elif isinstance(node, Behaviour):
        item["count"] = _interactions_counted(session, node, row, scope, cutoffs, now)
    return item


def _interactions_counted(
    session: Session,
    node: Behaviour,
    row: FromClause,
    scope: ColumnElement[bool],
    cutoffs: Cutoffs,
    now: datetime,
) -> int | None:
    """How many of the contact's interactions the behaviour node counts."""
    interactions = entity_table("interaction").alias("x_behaviour")
    conditions = behaviour_conditions_for(node, interactions, cutoffs)
    return session.scalar(
        select(func_count())
        .select_from(interactions)
        .where(interactions.c.contact_id.in_(select(row.c.id).where(scope)), *conditions),
        cutoffs.values(now),
    )


def func_count() -> Any:
    from sqlalchemy import func

    return func.count()


def _type(node: Node) -> str:
    if isinstance(node, Group):
        return "group"
    if isinstance(node, FieldRow):
        return "field"
    if isinstance(node, Related):
        return "related"
    return "behaviour"


def explain_membership(
    session: Session,
    registry: Registry,
    segment_id: int,
    contact_id: int,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """In or out (stored and as of now), since when and why, and per node what held."""
    from leadflow.errors import NotFound

    segment = get_segment(session, segment_id)
    contacts = contacts_table()
    if session.scalar(select(contacts.c.id).where(contacts.c.id == contact_id)) is None:
        raise NotFound(f"No contact {contact_id}", field="contact_id")
    moment = now or utcnow()
    stay = session.execute(
        select(MEMBERS.c.entered_at, MEMBERS.c.block, MEMBERS.c.version).where(
            MEMBERS.c.segment_id == segment.id,
            MEMBERS.c.contact_id == contact_id,
            MEMBERS.c.left_at.is_(None),
        )
    ).first()
    result: dict[str, Any] = {
        "segment_id": segment.id,
        "segment": segment.name,
        "contact_id": contact_id,
        "member": stay is not None,
        "since": stay.entered_at.isoformat() if stay else None,
        "reason": (
            reason_text(session, segment, stay.block, {}, registry, stay.version) if stay else None
        ),
        "nodes": None,
        "parts": None,
    }
    if segment.kind == SegmentKind.COMPOUND.value:
        _definition, parts = published(session, segment)
        result["parts"] = _explain_parts(session, parts, contact_id)
        result["matches"] = result["member"]
        return result
    if segment.kind == SegmentKind.STATIC.value:
        result["matches"] = result["member"]
        return result
    definition, _parts = published(session, segment) if segment.version else (
        segment.definition, []
    )  # fmt: skip
    tree, _problems = parse_tree(definition, registry)
    registry = query_registry(registry)
    nodes = _explain(
        session, registry, tree, "contact", contacts, contacts.c.id == contact_id, "root",
        Cutoffs(), moment,
    )  # fmt: skip
    result["nodes"] = nodes
    result["matches"] = nodes["held"]
    return result


def _explain_parts(session: Session, parts: Any, contact_id: int) -> list[dict[str, Any]]:
    found = []
    for part in parse_parts(parts):
        other = session.get(Segment, part.segment_id)
        inside = session.scalar(
            select(MEMBERS.c.id).where(
                MEMBERS.c.segment_id == part.segment_id,
                MEMBERS.c.contact_id == contact_id,
                MEMBERS.c.left_at.is_(None),
            )
        )
        found.append(
            {
                "segment_id": part.segment_id,
                "name": other.name if other else f"Segment {part.segment_id}",
                "op": part.op.value,
                "held": inside is not None,
            }
        )
    return found
