"""Opportunity use cases.

`create_opportunity` is a step the sales handover runs inside its own unit of work;
`do_create_opportunity` is the use case a face calls: it opens and commits its own unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from leadflow.accounts.models import Account
from leadflow.contacts.models import Contact
from leadflow.db.uow import UnitOfWork
from leadflow.leads.models import Lead
from leadflow.lib.crud import EntitySpec, create_row, delete_row, get_row, update_row
from leadflow.opportunities.events import (
    OpportunityCreated,
    OpportunityDeleted,
    OpportunityUpdated,
)
from leadflow.opportunities.models import Opportunity

OPPORTUNITIES: EntitySpec[Opportunity] = EntitySpec(
    entity="opportunity",
    model=Opportunity,
    created=OpportunityCreated,
    updated=OpportunityUpdated,
    deleted=OpportunityDeleted,
    references={
        "contact_id": lambda: Contact,
        "account_id": lambda: Account,
        "originating_lead_id": lambda: Lead,
    },
)


def create_opportunity(data: Mapping[str, Any], *, uow: UnitOfWork) -> Opportunity:
    return create_row(OPPORTUNITIES, data, uow=uow)


def do_create_opportunity(data: Mapping[str, Any], *, uow: UnitOfWork) -> Opportunity:
    """Create an opportunity (see `create_opportunity`) in its own transaction."""
    with uow:
        row = create_opportunity(data, uow=uow)
        uow.commit()
        return row


def update_opportunity(
    opportunity_id: int, changes: Mapping[str, Any], *, uow: UnitOfWork
) -> Opportunity:
    with uow:
        row, _ = update_row(OPPORTUNITIES, opportunity_id, changes, uow=uow)
        uow.commit()
        return row


def get_opportunity(session: Session, opportunity_id: int) -> Opportunity:
    return get_row(session, OPPORTUNITIES, opportunity_id)


def delete_opportunity(opportunity_id: int, *, uow: UnitOfWork) -> None:
    with uow:
        delete_row(OPPORTUNITIES, opportunity_id, uow=uow)
        uow.commit()
