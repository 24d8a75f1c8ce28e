"""API shapes of activities."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from leadflow.activities.domain import MAX_NOTES, CallOutcome


class CallIn(BaseModel):
    """A call on the lead: what came of it, what was said, when to call next (future)."""

    outcome: CallOutcome
    notes: str | None = Field(default=None, max_length=MAX_NOTES)
    next_call_at: datetime | None = None


class NoteIn(BaseModel):
    notes: str = Field(min_length=1, max_length=MAX_NOTES)


class ActivityOut(BaseModel):
    id: int
    kind: str
    outcome: str | None
    notes: str | None
    next_call_at: datetime | None
    occurred_at: datetime
    user_name: str | None
    lead_id: int | None
    contact_id: int | None


class ActivityList(BaseModel):
    items: list[ActivityOut]


class CallItemOut(BaseModel):
    task_id: int
    lead_id: int
    person: str
    phone: str | None
    company: str | None
    score: int | None
    grade: str | None
    last_interaction_at: datetime | None
    waiting_since: datetime
    next_call_at: datetime | None
    last_outcome: str | None
    overdue: bool


class CallList(BaseModel):
    items: list[CallItemOut]
