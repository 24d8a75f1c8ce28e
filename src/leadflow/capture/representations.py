"""How capture records look at the API edge (plain dicts, JSON-ready)."""

from __future__ import annotations

from typing import Any

from leadflow.capture.models import (
    EventRegistration,
    FormSubmission,
    MarketingEvent,
    MarketingForm,
    MarketingPage,
)
from leadflow.matching.models import MatchingStrategy


def strategy_json(row: MatchingStrategy) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "target": row.target,
        "fields": list(row.fields),
        "is_default": row.is_default,
        "lists_duplicates": row.lists_duplicates,
        "updated_at": row.updated_at.isoformat(),
    }


def form_json(form: MarketingForm, page: MarketingPage) -> dict[str, Any]:
    return {
        "id": form.id,
        "name": form.name,
        "page_id": page.id,
        "slug": page.slug,
        "url": f"/p/{page.slug}",
        "title": page.title,
        "intro": page.intro,
        "fields": list(form.fields),
        "campaign": form.campaign,
        "owner_id": form.owner_id,
        "update_mode": form.update_mode,
        "generate_leads_without_matching": form.generate_leads_without_matching,
        "consent_field": form.consent_field,
        "store_all_submissions": form.store_all_submissions,
        "contact_strategy_id": form.contact_strategy_id,
        "lead_strategy_id": form.lead_strategy_id,
        "created_at": form.created_at.isoformat(),
        "updated_at": form.updated_at.isoformat(),
    }


def submission_json(row: FormSubmission) -> dict[str, Any]:
    return {
        "id": row.id,
        "form_id": row.form_id,
        "status": row.status,
        "payload": row.payload,
        "contact_id": row.contact_id,
        "lead_id": row.lead_id,
        "contact_created": row.contact_created,
        "lead_created": row.lead_created,
        "outcome": row.outcome,
        "errors": row.errors,
        "created_at": row.created_at.isoformat(),
        "processed_at": row.processed_at.isoformat() if row.processed_at else None,
    }


def event_json(row: MarketingEvent) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "starts_at": row.starts_at.isoformat(),
        "ends_at": row.ends_at.isoformat(),
        "capacity": row.capacity,
        "venue": row.venue,
        "match_on": row.match_on,
        "create_leads": row.create_leads,
        "campaign": row.campaign,
        "owner_id": row.owner_id,
        "registration_url": f"/e/{row.id}",
    }


def registration_json(row: EventRegistration) -> dict[str, Any]:
    return {
        "id": row.id,
        "event_id": row.event_id,
        "contact_id": row.contact_id,
        "lead_id": row.lead_id,
        "status": row.status,
        "attended_at": row.attended_at.isoformat() if row.attended_at else None,
        "created_at": row.created_at.isoformat(),
    }
