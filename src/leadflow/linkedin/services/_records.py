"""The records a LinkedIn response makes: its contact (when the strategy makes contacts),
its lead (created, or matched and updated) and the contact's `form_submitted` interaction,
through capture's matching like a landing-page submission."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadflow.contacts.services import update_contact
from leadflow.db.uow import UnitOfWork
from leadflow.interactions.domain import InteractionKind
from leadflow.interactions.services import record_interaction
from leadflow.leads.domain import LeadSource, LeadStatus
from leadflow.leads.models import Lead
from leadflow.leads.services import create_lead, update_lead
from leadflow.linkedin.domain import CONTACT_FIELDS, Outcome, Resolved, ResponseSpec
from leadflow.linkedin.models import LinkedInForm, LinkedInLeadStrategy, LinkedInResponse
from leadflow.matching.services import match_contact, match_lead
from leadflow.registry.domain import Registry


def write_records(
    uow: UnitOfWork,
    strategy: LinkedInLeadStrategy,
    campaign: str | None,
    form: LinkedInForm,
    spec: ResponseSpec,
    resolved: Resolved,
    row: LinkedInResponse,
) -> Outcome:
    """Make or update the response's contact and lead, noted on its row (`row`)."""
    lead_values = _lead_data(uow.registry, resolved.lead_values)
    contact_id: int | None = None
    if strategy.enable_contact_creation:
        contact_id = _contact_of(uow, resolved, row)
    create_values: dict[str, Any] = {
        "topic": form.name[:300],
        **lead_values,
        "source": LeadSource.LINKEDIN.value,
        "campaign": campaign,
        "parent_contact_id": contact_id,
    }
    if strategy.always_create_lead:
        lead_id = create_lead(create_values, uow=uow).id
        created = True
    else:
        lead_id, created = _matched_lead(uow, strategy, lead_values, create_values, contact_id, row)
    row.lead_id = lead_id
    row.contact_id = contact_id
    row.lead_created = created
    if contact_id is not None:
        _record_submission(uow, contact_id, lead_id, form, spec)
    return Outcome.CREATED if created else Outcome.UPDATED


def _contact_of(uow: UnitOfWork, resolved: Resolved, row: LinkedInResponse) -> int | None:
    """The matched or created contact; a matched one takes the response's values."""
    contact_values = _contact_data(uow.registry, resolved.lead_values, resolved.consent_given)
    contact_outcome = match_contact(
        uow, contact_values, create_values={**contact_values, "source": "linkedin"}
    )
    contact_id = contact_outcome.contact_id
    row.contact_created = contact_outcome.created
    if contact_id is not None and not contact_outcome.created and contact_values:
        update_contact(contact_id, contact_values, uow=uow)
    return contact_id


def _matched_lead(
    uow: UnitOfWork,
    strategy: LinkedInLeadStrategy,
    lead_values: Mapping[str, Any],
    create_values: Mapping[str, Any],
    contact_id: int | None,
    row: LinkedInResponse,
) -> tuple[int, bool]:
    """The lead the strategy's matching finds (updated, unless qualified: read-only) or
    creates; with whether it was created."""
    outcome = match_lead(
        uow,
        lead_values,
        strategy_id=strategy.matching_strategy_id,
        create_values=create_values,
    )
    assert outcome.lead_id is not None
    lead_id, created = outcome.lead_id, outcome.created
    if not created:
        existing = uow.session.get(Lead, lead_id)
        if existing is not None and existing.status == LeadStatus.QUALIFIED.value:
            row.error = "The matched lead is qualified (read-only): fields not updated"
        else:
            changes = dict(lead_values)
            orphan = existing is not None and existing.parent_contact_id is None
            if contact_id is not None and orphan:
                changes["parent_contact_id"] = contact_id
            if changes:
                update_lead(lead_id, changes, uow=uow)
    return lead_id, created


def _record_submission(
    uow: UnitOfWork, contact_id: int, lead_id: int, form: LinkedInForm, spec: ResponseSpec
) -> None:
    record_interaction(
        {
            "contact_id": contact_id,
            "lead_id": lead_id,
            "kind": InteractionKind.FORM_SUBMITTED.value,
            "target_id": f"linkedin:{form.linkedin_id}",
            **({"occurred_at": spec.submitted_at} if spec.submitted_at else {}),
            "data": {
                "linkedin_response_id": spec.response_id,
                "linkedin_form_id": form.linkedin_id,
            },
        },
        uow=uow,
    )


def _lead_data(registry: Registry, values: Mapping[str, str]) -> dict[str, Any]:
    """Mapped values as the lead services take them (custom fields nested)."""
    data: dict[str, Any] = {}
    for name, value in values.items():
        if registry.has_field("lead", name) and registry.field("lead", name).custom:
            data.setdefault("custom", {})[name] = value
        else:
            data[name] = value
    return data


def _contact_data(registry: Registry, values: Mapping[str, str], consent: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        name: values[name]
        for name in CONTACT_FIELDS
        if name in values and registry.has_field("contact", name)
    }
    if consent:
        data["consent"] = "marketing"
    return data
