"""What each caller may see of each record kind, for every face (API, pages, sections).

Lists and searches AND `scope_of` to their filters; reads by id call `check_reach`, which
answers 404 for a record out of reach, as if it did not exist.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from leadflow.contacts import services as contacts
from leadflow.users.services import Principal


def scope_of(entity: str, principal: Principal) -> tuple[ColumnElement[bool], ...]:
    if entity == "contact":
        return contacts.reach_conditions(principal.role, principal.user_id)
    return ()


def check_reach(session: Session, entity: str, record_id: int, principal: Principal) -> None:
    if entity == "contact":
        contacts.check_reach(session, record_id, principal.role, principal.user_id)
