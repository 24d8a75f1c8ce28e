"""Pydantic models of the capture and matching API edge."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from leadflow.capture.domain import SubmissionStatus
from leadflow.lib.bounds import INT32, Int32, RowId, omittable
from leadflow.lib.json_types import JsonScalar

SubmissionPayload = dict[str, JsonScalar]
"""A submission: field values by the form's field names (checkboxes: true/false)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StrategyIn(_Strict):
    """Create and change: a field left out keeps its value; null only where a value may be empty."""

    name: str = omittable(max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    target: str = omittable()
    fields: list[str] = omittable()
    is_default: bool = omittable()
    lists_duplicates: bool = omittable(
        description="The Duplicates page lists records sharing this strategy's values"
        " (default true)"
    )


class FormFieldIn(_Strict):
    name: str = Field(max_length=63)
    label: str | None = Field(default=None, max_length=200)
    type: str = "text"
    required: bool = False
    contact_field: str | None = None
    lead_field: str | None = None
    max_length: Int32 | None = None


class FormIn(_Strict):
    """Create and change: a field left out keeps its value; null only where a value may be empty."""

    name: str = omittable(max_length=200)
    slug: str = omittable(max_length=100)
    title: str = omittable(max_length=200)
    intro: str | None = Field(default=None, max_length=5000)
    fields: list[FormFieldIn] = omittable()
    campaign: str | None = Field(default=None, max_length=200)
    owner_id: RowId | None = None
    update_mode: str = omittable()
    generate_leads_without_matching: bool = omittable()
    consent_field: str | None = None
    store_all_submissions: bool = omittable()
    contact_strategy_id: RowId | None = None
    lead_strategy_id: RowId | None = None


class ResubmitIn(_Strict):
    payload: SubmissionPayload | None = Field(
        default=None, description="A corrected payload; none: the stored one again"
    )


class EventIn(_Strict):
    """Create and change: a field left out keeps its value; null only where a value may be empty."""

    name: str = omittable(max_length=200)
    starts_at: datetime = omittable()
    ends_at: datetime = omittable()
    capacity: int | None = Field(default=None, ge=1, le=INT32.high)
    venue: str | None = Field(default=None, max_length=300)
    match_on: str = omittable()
    create_leads: bool = omittable()
    campaign: str | None = Field(default=None, max_length=200)
    owner_id: RowId | None = None


class RegistrationIn(_Strict):
    email: str | None = Field(default=None, max_length=320)
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    company: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=50)
    job_title: str | None = Field(default=None, max_length=200)
    join_waitlist: bool = False


class SubmissionReceipt(BaseModel):
    """What the submitter of a form is told: the submission was accepted (or, for a
    form that only stores them, stored); it is processed moments later."""

    submission_id: int | None = Field(description="None when the submission was discarded")
    status: SubmissionStatus = Field(description="accepted, or stored for a no-update form")
    contact_id: int | None = Field(description="null: known once processed (see status_url)")
    lead_id: int | None = Field(description="null: known once processed (see status_url)")
    status_url: str | None = Field(
        description="GET it (forms:read) for the status, contact and lead once processed"
    )


class RegistrationOut(BaseModel):
    id: int
    event_id: int
    contact_id: int
    lead_id: int | None
    status: str = Field(description="registered or waitlisted")
    attended_at: datetime | None
    created_at: datetime
