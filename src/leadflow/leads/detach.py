"""What a contact's or account's deletion does to the leads that point at it.

Kept apart from the lead use cases, which build on contacts (a lead's phone is
read in its contact's country): contacts and accounts call this step without
importing them.
"""

from __future__ import annotations

from sqlalchemy import select, update

from leadflow.db.uow import UnitOfWork
from leadflow.errors import Conflict, ErrorCode
from leadflow.leads.events import LeadUpdated
from leadflow.leads.models import Lead
from leadflow.lib.clock import utcnow


def detach_leads(uow: UnitOfWork, *, field: str, target_id: int, unlink: bool) -> list[int]:
    """Before a contact or account goes: refuse while leads point at it, or unlink them."""
    column = Lead.__table__.c[field]
    linked = list(uow.session.scalars(select(Lead.id).where(column == target_id)))
    if not linked:
        return []
    if not unlink:
        label = uow.registry.field("lead", field).label.lower()
        raise Conflict(
            f"{len(linked)} lead(s) have this record as {label}; unlink or delete them first",
            code=ErrorCode.HAS_DEPENDENTS,
            field="id",
            extra={
                "lead_ids": linked[:100],
                "lead_count": len(linked),
                "hint": "repeat the delete with unlink_leads=true to unlink them",
            },
        )
    uow.session.execute(
        update(Lead).where(Lead.id.in_(linked)).values({field: None, "updated_at": utcnow()})
    )
    uow.publish(*(LeadUpdated(lead_id, (field,)) for lead_id in linked))
    return linked
