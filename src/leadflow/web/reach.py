"""What each caller may see of each record kind, for every face (API, pages, sections).

Lists and searches AND `scope_of` to their filters; reads by id call `check_reach`, which
answers 404 for a record out of reach, as if it did not exist. Records merged into another
are left out of lists (they are kept to redirect to their survivor).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from leadflow.contacts import services as contacts
from leadflow.contacts.models import Contact
from leadflow.interactions.models import Interaction
from leadflow.leads.models import Lead
from leadflow.users.services import Principal


def scope_of(entity: str, principal: Principal) -> tuple[ColumnElement[bool], ...]:
    if entity == "contact":
        return (
            Contact.merged_into_id.is_(None),
            *contacts.reach_conditions(principal.role, principal.user_id),
        )
    if entity == "lead":
        return (Lead.merged_into_id.is_(None),)
    if entity == "interaction":
        # A contact out of reach keeps its interactions out of reach too.
        hidden = contacts.reach_conditions(principal.role, principal.user_id)
        if hidden:
            return (Interaction.contact_id.in_(select(Contact.id).where(*hidden)),)
    return ()


def check_reach(session: Session, entity: str, record_id: int, principal: Principal) -> None:
    if entity == "contact":
        contacts.check_reach(session, record_id, principal.role, principal.user_id)


def reachable(session: Session, entity: str, ids: set[int], principal: Principal) -> set[int]:
    """Those of `ids` the caller may see (merged ones included: they redirect)."""
    if entity != "contact" or not ids:
        return ids
    conditions = contacts.reach_conditions(principal.role, principal.user_id)
    return set(session.scalars(select(Contact.id).where(Contact.id.in_(ids), *conditions)))
