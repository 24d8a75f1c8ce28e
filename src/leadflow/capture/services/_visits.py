"""A known visitor's page visit: an interaction of their contact."""

from __future__ import annotations

from leadflow.contacts.models import Contact
from leadflow.db.uow import UnitOfWork
from leadflow.interactions.domain import InteractionKind
from leadflow.interactions.services import record_interaction


def record_page_visit(page_id: int, contact_id: int, *, uow: UnitOfWork) -> bool:
    """A known visitor opened a landing page: a page_visited interaction (False if unknown)."""
    if uow.session.get(Contact, contact_id) is None:
        return False
    record_interaction(
        {
            "contact_id": contact_id,
            "kind": InteractionKind.PAGE_VISITED.value,
            "target_id": str(page_id),
            "data": {"page_id": page_id},
        },
        uow=uow,
    )
    return True


def do_record_page_visit(page_id: int, contact_id: int, *, uow: UnitOfWork) -> bool:
    """Record a known visitor's page visit in a transaction of its own (False if unknown)."""
    with uow:
        recorded = record_page_visit(page_id, contact_id, uow=uow)
        if recorded:
            uow.commit()
        return recorded
