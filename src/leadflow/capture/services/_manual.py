"""Leads made by hand: linked to an existing contact or account, or to a new contact."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadflow.contacts.services import phone_region_for
from leadflow.db.uow import UnitOfWork
from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.leads.models import Lead
from leadflow.leads.services import create_lead
from leadflow.lib.normalize import needs_region
from leadflow.matching.domain import MatchOutcome
from leadflow.matching.services import match_contact
from leadflow.records.crud import WriteContext

# The lead fields a contact made from it takes over.
CONTACT_FROM_LEAD = ("first_name", "last_name", "email", "phone", "job_title")


def create_lead_with_contact(
    data: Mapping[str, Any], *, uow: UnitOfWork
) -> tuple[Lead, MatchOutcome]:
    """Create a lead and a parent contact from its name, email, phone and job title.

    The contact goes through the default contact strategy, so a person who is
    already a contact (same email) is linked instead of duplicated.
    """
    if data.get("parent_contact_id"):
        raise ValidationFailed(
            "Pick an existing contact or create a new one, not both",
            field="parent_contact_id",
            code=ErrorCode.MUTUALLY_EXCLUSIVE,
        )
    contact_values = {name: data[name] for name in CONTACT_FROM_LEAD if data.get(name)}
    if not (contact_values.get("email") or contact_values.get("last_name")):
        raise ValidationFailed(
            "A new contact needs the lead's email or last name",
            code=ErrorCode.REQUIRED,
            field="email",
        )
    # The contact's phone is read where the lead's is (its account's country, the org
    # default), so the same number typed once is the same on both.
    phone = contact_values.get("phone")
    region = phone_region_for(uow.session, data) if phone and needs_region(str(phone)) else None
    outcome = match_contact(
        uow, contact_values, create_values=contact_values, context=WriteContext(country=region)
    )
    lead = create_lead({**data, "parent_contact_id": outcome.contact_id}, uow=uow)
    return lead, outcome


def do_create_lead_with_contact(
    data: Mapping[str, Any], *, uow: UnitOfWork
) -> tuple[Lead, MatchOutcome]:
    """Create a lead made by hand and its parent contact, in a transaction of its own."""
    with uow:
        lead, outcome = create_lead_with_contact(data, uow=uow)
        uow.commit()
        return lead, outcome
