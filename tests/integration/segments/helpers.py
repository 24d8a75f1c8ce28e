"""Small builders the segments tests share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from leadflow.accounts.services import create_account, update_account
from leadflow.bootstrap import Container
from leadflow.contacts.services import create_contact, update_contact
from leadflow.interactions.services import record_interactions
from leadflow.leads.services import create_lead, update_lead
from leadflow.opportunities.services import create_opportunity
from leadflow.segments import services
from leadflow.segments.models import SegmentMembership


def make_account(container: Container, **values: Any) -> int:
    with container.uow() as uow:
        row = create_account({"name": "Acme", **values}, uow=uow)
        uow.commit()
    container.relay.drain()
    return row.id


def make_contact(container: Container, **values: Any) -> int:
    with container.uow() as uow:
        row = create_contact({"last_name": "Doe", **values}, uow=uow)
        uow.commit()
    container.relay.drain()
    return row.id


def make_lead(container: Container, **values: Any) -> int:
    with container.uow() as uow:
        row = create_lead({"topic": "Interested", **values}, uow=uow)
        uow.commit()
    container.relay.drain()
    return row.id


def make_opportunity(container: Container, **values: Any) -> int:
    with container.uow() as uow:
        row = create_opportunity({"name": "Deal", **values}, uow=uow)
        uow.commit()
    container.relay.drain()
    return row.id


def change_contact(container: Container, contact_id: int, **values: Any) -> None:
    with container.uow() as uow:
        update_contact(contact_id, values, uow=uow)
        uow.commit()
    container.relay.drain()


def change_lead(container: Container, lead_id: int, **values: Any) -> None:
    with container.uow() as uow:
        update_lead(lead_id, values, uow=uow)
        uow.commit()
    container.relay.drain()


def change_account(container: Container, account_id: int, **values: Any) -> None:
    with container.uow() as uow:
        update_account(account_id, values, uow=uow)
        uow.commit()
    container.relay.drain()


def record(container: Container, contact_id: int, kind: str, when: datetime, **extra: Any) -> None:
    with container.uow() as uow:
        record_interactions(
            [{"contact_id": contact_id, "kind": kind, "occurred_at": when.isoformat(), **extra}],
            uow=uow,
        )
        uow.commit()
    container.relay.drain()


def group(*children: dict[str, Any], op: str = "and") -> dict[str, Any]:
    return {"type": "group", "op": op, "children": list(children)}


def row(field: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"type": "field", "field": field, "op": op, "value": value}


def related(relationship: str, *children: dict[str, Any], **count: Any) -> dict[str, Any]:
    return {"type": "related", "relationship": relationship, "where": group(*children), **count}


def live_segment(
    container: Container, definition: dict[str, Any] | None = None, **data: Any
) -> int:
    """Create a segment, take it live and run its build; returns its id."""
    with container.uow() as uow:
        segment = services.create_segment(
            {"name": "Segment", "definition": definition, **data}, uow=uow
        )
        uow.commit()
        segment_id = segment.id
    with container.uow() as uow:
        services.go_live(segment_id, uow=uow)
        uow.commit()  # the test queue runs the build job right after the commit
    container.relay.drain()
    return segment_id


def members_of(container: Container, segment_id: int) -> set[int]:
    with container.read_session() as session:
        return set(
            session.scalars(
                select(SegmentMembership.contact_id).where(
                    SegmentMembership.segment_id == segment_id,
                    SegmentMembership.left_at.is_(None),
                )
            )
        )


def full_rebuild(container: Container, segment_id: int) -> set[int]:
    """The members a full build finds now (evaluated, nothing written)."""
    from leadflow.lib.clock import utcnow
    from leadflow.segments.engine import compile_live, evaluate, published

    with container.uow() as uow:
        segment = services.get_segment(uow.session, segment_id)
        definition, parts = published(uow.session, segment)
        compiled = compile_live(segment, definition, parts, uow.registry)
        return set(evaluate(uow.session, compiled, utcnow(), None))
