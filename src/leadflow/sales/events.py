"""Events of the hand-over to sales."""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.bus import Event, event


@event
@dataclass(frozen=True)
class TaskCreated(Event):
    name = "task.created"
    task_id: int
    lead_id: int
    queue: str | None = None
    owner_id: int | None = None


@event
@dataclass(frozen=True)
class TaskOverdue(Event):
    """An open task passed its due time; the manager was told."""

    name = "task.overdue"
    task_id: int
    lead_id: int
    queue: str | None = None


@event
@dataclass(frozen=True)
class LeadAssigned(Event):
    name = "lead.assigned"
    lead_id: int
    user_id: int
    method: str


@event
@dataclass(frozen=True)
class LeadQualified(Event):
    name = "lead.qualified"
    lead_id: int
    opportunity_id: int | None
    contact_id: int | None
    account_id: int | None


@event
@dataclass(frozen=True)
class LeadDisqualified(Event):
    name = "lead.disqualified"
    lead_id: int
    status_reason: str


@event
@dataclass(frozen=True)
class LeadReactivated(Event):
    name = "lead.reactivated"
    lead_id: int


@event
@dataclass(frozen=True)
class LeadRecycled(Event):
    name = "lead.recycled"
    lead_id: int
    reason: str


@event
@dataclass(frozen=True)
class WebhookRequested(Event):
    """A rule asked for a webhook call; it is sent after the commit, by the queue."""

    name = "webhook.requested"
    delivery_id: int
    rule_key: str
