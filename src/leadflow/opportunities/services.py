"""Opportunity use cases."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.opportunities.events import (
    OpportunityCreated,
    OpportunityDeleted,
    OpportunityLeftContact,
    OpportunityUpdated,
)
from leadflow.opportunities.models import Opportunity
from leadflow.records.crud import EntitySpec, create_row, delete_row, get_row, update_row

OPPORTUNITIES: EntitySpec[Opportunity] = EntitySpec(
    entity="opportunity",
    model=Opportunity,
    created=OpportunityCreated,
    updated=OpportunityUpdated,
    deleted=OpportunityDeleted,
)


def create_opportunity(data: Mapping[str, Any], *, uow: UnitOfWork) -> Opportunity:
    return create_row(OPPORTUNITIES, data, uow=uow)


def update_opportunity(
    opportunity_id: int, changes: Mapping[str, Any], *, uow: UnitOfWork
) -> Opportunity:
    before = get_opportunity(uow.session, opportunity_id).contact_id
    row, changed = update_row(OPPORTUNITIES, opportunity_id, changes, uow=uow)
    if "contact_id" in changed and before is not None:
        uow.publish(OpportunityLeftContact(opportunity_id=opportunity_id, contact_id=before))
    return row


def get_opportunity(session: Session, opportunity_id: int) -> Opportunity:
    return get_row(session, OPPORTUNITIES, opportunity_id)


def delete_opportunity(opportunity_id: int, *, uow: UnitOfWork) -> None:
    contact_id = get_opportunity(uow.session, opportunity_id).contact_id
    delete_row(OPPORTUNITIES, opportunity_id, uow=uow)
    if contact_id is not None:
        uow.publish(OpportunityLeftContact(opportunity_id=opportunity_id, contact_id=contact_id))


# Use cases: what faces call. Each opens the unit of work (or joins the one its
# face holds open to render), runs the step above and commits.


do_create_opportunity = in_own_transaction(create_opportunity)
do_update_opportunity = in_own_transaction(update_opportunity)
do_delete_opportunity = in_own_transaction(delete_opportunity)
