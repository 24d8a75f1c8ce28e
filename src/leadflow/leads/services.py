"""Lead use cases: the only code that writes leads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from leadflow.contacts.services import prepare_person
from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import Conflict, ErrorCode, ValidationFailed
from leadflow.leads.domain import DEFAULT_REASON, LeadStatus, LeadStatusReason, reason_fits
from leadflow.leads.events import (
    LeadCreated,
    LeadDeleted,
    LeadLeftContact,
    LeadSalesReady,
    LeadUpdated,
)
from leadflow.leads.models import Lead
from leadflow.lib.clock import utcnow
from leadflow.records.crud import (
    NO_CONTEXT,
    EntitySpec,
    WriteContext,
    create_row,
    delete_row,
    get_row,
    update_row,
)
from leadflow.records.lookup import find_record


def _prepare_lead(
    session: Session, values: dict[str, Any], existing: Any, context: WriteContext
) -> None:
    # The account first: its country is one the phone may be read in.
    _account_from_contact(session, values, existing)
    prepare_person(session, values, existing, context)
    if "status" in values or "status_reason" in values:
        status = LeadStatus(
            values.get("status") or (existing.status if existing else LeadStatus.OPEN)
        )
        reason_value = values.get("status_reason")
        if reason_value is None:
            current = existing.status_reason if existing else None
            keep = current is not None and reason_fits(status, LeadStatusReason(current))
            reason = LeadStatusReason(current) if keep and current else DEFAULT_REASON[status]
        else:
            reason = LeadStatusReason(reason_value)
        if not reason_fits(status, reason):
            raise ValidationFailed(
                f"Status reason '{reason}' does not fit status '{status}'",
                field="status_reason",
                code=ErrorCode.STATUS_REASON_MISMATCH,
            )
        values["status"] = status.value
        values["status_reason"] = reason.value


def _account_from_contact(session: Session, values: dict[str, Any], existing: Any) -> None:
    """A lead of a contact that belongs to an account is that account's lead too, by default."""
    contact_id = values.get("parent_contact_id")
    if not contact_id or "parent_account_id" in values:
        return
    if existing is not None and existing.parent_account_id is not None:
        return
    contact = find_record(session, "contact", contact_id)
    if contact is not None and contact.account_id is not None:
        values["parent_account_id"] = contact.account_id


def _user_model() -> type[Any]:
    from leadflow.users.models import User

    return User


LEADS: EntitySpec[Lead] = EntitySpec(
    entity="lead",
    model=Lead,
    created=LeadCreated,
    updated=LeadUpdated,
    deleted=LeadDeleted,
    references={"owner_id": _user_model},
    prepare=_prepare_lead,
)


def create_lead(
    data: Mapping[str, Any], *, uow: UnitOfWork, context: WriteContext = NO_CONTEXT
) -> Lead:
    """Create a lead; it starts open/new with source 'manual' unless told otherwise.

    A lead created sales-ready (an import, a form with the flag) was marked by whoever
    supplied it: recorded as a manual mark.
    """
    row = create_row(LEADS, data, uow=uow, context=context)
    if row.sales_ready:
        row.sales_ready_at = row.created_at
        row.sales_ready_source = "manual"
        uow.session.flush()
    return row


def update_lead(
    lead_id: int,
    changes: Mapping[str, Any],
    *,
    uow: UnitOfWork,
    context: WriteContext = NO_CONTEXT,
) -> Lead:
    """Change fields; a user ticking sales-ready is a manual mark, recorded as such.

    A qualified lead is read-only: its opportunity carries the work on.
    """
    existing = uow.session.get(Lead, lead_id)
    if existing is not None and existing.status == LeadStatus.QUALIFIED:
        raise Conflict(
            "The lead is qualified and read-only", field="status", code=ErrorCode.LEAD_READ_ONLY
        )
    before = existing.parent_contact_id if existing is not None else None
    row, changed = update_row(LEADS, lead_id, changes, uow=uow, context=context)
    if "parent_contact_id" in changed and before is not None:
        uow.publish(LeadLeftContact(lead_id=lead_id, contact_id=before))
    if "sales_ready" in changed:
        if row.sales_ready:
            row.sales_ready_at = utcnow()
            row.sales_ready_source = "manual"
            uow.session.flush()
            uow.publish(LeadSalesReady(lead_id=row.id, manual=True))
        else:
            row.sales_ready_at = None
            row.sales_ready_source = None
            uow.session.flush()
    return row


def mark_sales_ready(lead_id: int, *, model_id: int, uow: UnitOfWork) -> bool:
    """Scoring reached a threshold: mark the lead unless it already is (True when marked).

    A conditional UPDATE, so two scorers racing on one lead publish one event.
    """
    now = utcnow()
    result = uow.session.execute(
        update(Lead)
        .where(Lead.id == lead_id, Lead.sales_ready.is_(False))
        .values(sales_ready=True, sales_ready_at=now, sales_ready_source="score", updated_at=now)
        .execution_options(synchronize_session="fetch")
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    uow.publish(
        LeadSalesReady(lead_id=lead_id, manual=False, model_id=model_id),
        LeadUpdated(lead_id, ("sales_ready",)),
    )
    return True


def get_lead(session: Session, lead_id: int) -> Lead:
    return get_row(session, LEADS, lead_id)


def delete_lead(lead_id: int, *, uow: UnitOfWork) -> None:
    """Delete a lead; its interactions stay with the contact, unlinked from the lead."""
    existing = uow.session.get(Lead, lead_id)
    contact_id = existing.parent_contact_id if existing is not None else None
    delete_row(LEADS, lead_id, uow=uow)
    if contact_id is not None:
        uow.publish(LeadLeftContact(lead_id=lead_id, contact_id=contact_id))


# Use cases: what faces call. Each opens the unit of work (or joins the one its
# face holds open to render), runs the step above and commits.


do_create_lead = in_own_transaction(create_lead)


do_update_lead = in_own_transaction(update_lead)


do_delete_lead = in_own_transaction(delete_lead)
