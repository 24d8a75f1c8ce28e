"""Qualify, disqualify, reactivate and recycle a lead: its way out of the funnel or back in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from leadflow.contacts.models import Contact
from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from leadflow.leads.domain import LeadStatus, LeadStatusReason, reason_fits
from leadflow.leads.models import Lead
from leadflow.lib.clock import utcnow
from leadflow.opportunities.models import Opportunity
from leadflow.process import services as process
from leadflow.process.domain import MARKETING_QUALIFICATION
from leadflow.sales.domain import TaskStatus
from leadflow.sales.events import (
    LeadDisqualified,
    LeadQualified,
    LeadReactivated,
    LeadRecycled,
)
from leadflow.sales.models import Recycle, Task


@dataclass(frozen=True)
class QualifyOptions:
    create_opportunity: bool = True
    use_or_create_contact: bool = True
    use_or_create_account: bool = True


@dataclass(frozen=True)
class Qualified:
    lead_id: int
    opportunity_id: int | None
    contact_id: int | None
    account_id: int | None


def _open_lead(session: Session, lead_id: int) -> Lead:
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(f"No lead with id {lead_id}", field="lead_id")
    if lead.status != LeadStatus.OPEN.value:
        raise Conflict(
            f"The lead is already {lead.status}", field="status", code=ErrorCode.LEAD_NOT_OPEN
        )
    return lead


def _contact_from_lead(lead: Lead, account_id: int | None, *, uow: UnitOfWork) -> int:
    """A new contact made of the lead's person fields, in the account the lead goes to."""
    from leadflow.contacts.services import create_contact

    if not (lead.email or lead.last_name or lead.first_name):
        raise ValidationFailed(
            "The lead has no name or email to create a contact from",
            field="parent_contact_id",
            code=ErrorCode.LEAD_WITHOUT_PERSON,
        )
    values = {
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "email": lead.email,
        "phone": lead.phone,
        "job_title": lead.job_title,
        "account_id": account_id,
    }
    return create_contact(values, uow=uow).id


def _opportunity_from_lead(
    lead: Lead, contact_id: int | None, account_id: int | None, *, uow: UnitOfWork
) -> int:
    from leadflow.opportunities.services import create_opportunity

    values = {
        "name": lead.topic or lead.company_name or f"Opportunity from lead {lead.id}",
        "contact_id": contact_id,
        "account_id": account_id,
        "originating_lead_id": lead.id,
        "estimated_value": lead.budget_amount,
    }
    return create_opportunity(values, uow=uow).id


def qualify_lead(
    lead_id: int,
    *,
    uow: UnitOfWork,
    options: QualifyOptions = QualifyOptions(),
    by_user_id: int | None = None,
) -> Qualified:
    """Turn the lead into an opportunity linked to its contact and account; the lead becomes
    qualified (read-only) and its process finishes."""
    from leadflow.accounts.services import create_account
    from leadflow.leads.services import update_lead

    lead = _open_lead(uow.session, lead_id)
    account_id = lead.parent_account_id
    if account_id is None and options.use_or_create_account and lead.company_name:
        account_id = create_account({"name": lead.company_name}, uow=uow).id
    contact_id = lead.parent_contact_id
    if contact_id is None and options.use_or_create_contact:
        contact_id = _contact_from_lead(lead, account_id, uow=uow)
    opportunity_id = None
    if options.create_opportunity:
        opportunity_id = _opportunity_from_lead(lead, contact_id, account_id, uow=uow)
    links: dict[str, Any] = {}
    if contact_id != lead.parent_contact_id:
        links["parent_contact_id"] = contact_id
    if account_id != lead.parent_account_id:
        links["parent_account_id"] = account_id
    update_lead(lead_id, {**links, "status": "qualified", "status_reason": "qualified"}, uow=uow)
    if process.current_instance(uow.session, lead_id) is not None:
        process.finish_process(lead_id, uow=uow, actor_user_id=by_user_id, check_steps=False)
    uow.session.execute(
        update(Task)
        .where(Task.lead_id == lead_id, Task.status == TaskStatus.OPEN)
        .values(status=TaskStatus.DONE, closed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    uow.publish(
        LeadQualified(
            lead_id=lead_id,
            opportunity_id=opportunity_id,
            contact_id=contact_id,
            account_id=account_id,
        )
    )
    return Qualified(lead_id, opportunity_id, contact_id, account_id)


def clear_marketing_only(contact_id: int, *, uow: UnitOfWork) -> bool:
    """The contact now has business with sales: it is no longer marketing-only."""
    from leadflow.contacts.services import update_contact

    contact = uow.session.get(Contact, contact_id)
    if contact is None or not contact.marketing_only:
        return False
    update_contact(contact_id, {"marketing_only": False}, uow=uow)
    return True


def disqualify_lead(
    lead_id: int, status_reason: str, *, uow: UnitOfWork, by_user_id: int | None = None
) -> Lead:
    """Close the lead as disqualified; refused once an opportunity came from it."""
    from leadflow.leads.services import update_lead

    lead = _open_lead(uow.session, lead_id)
    try:
        reason = LeadStatusReason(status_reason)
    except ValueError:
        raise ValidationFailed(
            f"Unknown status reason '{status_reason}'",
            field="status_reason",
            code=ErrorCode.STATUS_REASON_UNKNOWN,
        ) from None
    if not reason_fits(LeadStatus.DISQUALIFIED, reason):
        raise ValidationFailed(
            f"'{status_reason}' is not a reason to disqualify",
            field="status_reason",
            code=ErrorCode.STATUS_REASON_MISMATCH,
        )
    has_opportunity = uow.session.scalar(
        select(Opportunity.id).where(Opportunity.originating_lead_id == lead.id).limit(1)
    )
    if has_opportunity is not None:
        raise Conflict(
            "An opportunity came from this lead; it cannot be disqualified",
            field="status",
            code=ErrorCode.HAS_DEPENDENTS,
        )
    if process.current_instance(uow.session, lead_id) is not None:
        process.abandon_process(lead_id, uow=uow, actor_user_id=by_user_id)
    row = update_lead(lead_id, {"status": "disqualified", "status_reason": reason.value}, uow=uow)
    uow.publish(LeadDisqualified(lead_id=lead_id, status_reason=reason.value))
    return row


def reactivate_lead(lead_id: int, *, uow: UnitOfWork, by_user_id: int | None = None) -> Lead:
    """A disqualified lead opens again and its process resumes at the stage it left."""
    from leadflow.leads.services import update_lead

    lead = uow.session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(f"No lead with id {lead_id}", field="lead_id")
    if lead.status != LeadStatus.DISQUALIFIED.value:
        raise Conflict(
            "Only a disqualified lead can be reactivated",
            field="status",
            code=ErrorCode.LEAD_NOT_DISQUALIFIED,
        )
    row = update_lead(lead_id, {"status": "open", "status_reason": "new"}, uow=uow)
    instance = process.current_instance(uow.session, lead_id)
    if instance is None:
        process.start_instance(lead_id, uow=uow)
    else:
        process.move_to_stage(lead_id, instance.stage, uow=uow, rule="sales.reactivate")
    uow.publish(LeadReactivated(lead_id=lead_id))
    return row


def recycle_lead(
    lead_id: int, reason: str, *, uow: UnitOfWork, by_user_id: int | None = None
) -> Recycle:
    """Sales sends the lead back to marketing: sales-ready cleared, back to qualification."""
    from leadflow.leads.services import update_lead

    if not reason or not reason.strip():
        raise ValidationFailed(
            "Say why the lead goes back to marketing", field="reason", code=ErrorCode.REQUIRED
        )
    _open_lead(uow.session, lead_id)
    update_lead(lead_id, {"sales_ready": False, "sales_accepted": False}, uow=uow)
    process.move_to_stage(lead_id, MARKETING_QUALIFICATION, uow=uow, rule="sales.recycle")
    record = Recycle(
        lead_id=lead_id, user_id=by_user_id, reason=reason.strip(), created_at=utcnow()
    )
    uow.session.add(record)
    uow.session.flush()
    uow.publish(LeadRecycled(lead_id=lead_id, reason=record.reason))
    return record


def recycle_count(session: Session, lead_id: int | None = None) -> int:
    query = select(func.count()).select_from(Recycle)
    if lead_id is not None:
        query = query.where(Recycle.lead_id == lead_id)
    return int(session.scalar(query) or 0)


# Use cases: what faces call; each opens the unit of work and commits it.
do_qualify_lead = in_own_transaction(qualify_lead)
do_disqualify_lead = in_own_transaction(disqualify_lead)
do_reactivate_lead = in_own_transaction(reactivate_lead)
do_recycle_lead = in_own_transaction(recycle_lead)
