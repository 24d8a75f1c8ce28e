"""API routes of a contact beyond its record: its interaction timeline and its leads."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.contacts.services import CONTACTS
from leadflow.interactions.services import contact_timeline
from leadflow.leads.models import Lead
from leadflow.records.crud import get_row
from leadflow.records.values import to_public
from leadflow.users.domain import Permission as P
from leadflow.web.calls import ApiCall, api_call
from leadflow.web.reach import check_reach

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"])


@router.get("/{contact_id}/interactions", summary="A contact's interaction timeline, newest first")
def timeline(
    contact_id: int, limit: int = 100, call: ApiCall = api_call(P.INTERACTIONS_READ)
) -> dict[str, Any]:
    def newest(session: Session) -> dict[str, Any]:
        get_row(session, CONTACTS, contact_id)
        check_reach(session, "contact", contact_id, call.principal)
        registry = call.container.registry_cache.get(session)
        rows = contact_timeline(session, contact_id, limit=max(1, min(limit, 500)))
        return {"items": [to_public(row, registry, "interaction") for row in rows]}

    return call.read(newest)


@router.get("/{contact_id}/leads", summary="The leads whose parent contact this is")
def leads_of(contact_id: int, call: ApiCall = api_call(P.LEADS_READ)) -> dict[str, Any]:
    def children(session: Session) -> dict[str, Any]:
        get_row(session, CONTACTS, contact_id)
        check_reach(session, "contact", contact_id, call.principal)
        registry = call.container.registry_cache.get(session)
        rows = session.scalars(
            select(Lead).where(Lead.parent_contact_id == contact_id).order_by(Lead.id.desc())
        )
        return {"items": [to_public(row, registry, "lead") for row in rows]}

    return call.read(children)
