"""Activities use cases: log a call, write a note, read a record's activities, the call list.

A logged call is also an interaction of the lead's contact (kind `call_logged`, the
outcome in its data), so scoring rules and the contact's timeline see it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from leadflow.activities.domain import (
    CALL_INTERACTION_KIND,
    MAX_NOTES,
    ActivityKind,
    CallOutcome,
)
from leadflow.activities.events import CallLogged, NoteAdded
from leadflow.activities.models import Activity
from leadflow.contacts.models import Contact
from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import ErrorCode, NotFound, ValidationFailed
from leadflow.interactions.models import Interaction
from leadflow.interactions.services import record_interaction
from leadflow.leads.models import Lead
from leadflow.lib.clock import as_utc, utcnow
from leadflow.process.models import ProcessInstance
from leadflow.sales.models import Task
from leadflow.scoring.models import LeadScore
from leadflow.users.models import User


def _notes(text: str | None, *, required: bool) -> str | None:
    cleaned = (text or "").strip()
    if not cleaned:
        if required:
            raise ValidationFailed("Write the note", field="notes", code=ErrorCode.REQUIRED)
        return None
    if len(cleaned) > MAX_NOTES:
        raise ValidationFailed(
            f"Notes hold at most {MAX_NOTES} characters",
            field="notes",
            code=ErrorCode.TEXT_TOO_LONG,
        )
    return cleaned


def _outcome(value: str) -> CallOutcome:
    try:
        return CallOutcome(value)
    except ValueError:
        raise ValidationFailed(
            f"Unknown outcome '{value}' (one of {', '.join(CallOutcome)})",
            field="outcome",
            code=ErrorCode.NOT_A_CHOICE,
        ) from None


def log_call(
    lead_id: int,
    outcome: str,
    *,
    uow: UnitOfWork,
    notes: str | None = None,
    next_call_at: datetime | None = None,
    user_id: int | None = None,
) -> Activity:
    """A call on a lead: its outcome (closed set), notes and when to call next; recorded as a
    `call_logged` interaction of the lead's contact too."""
    lead = uow.session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(f"No lead with id {lead_id}", field="lead_id")
    result = _outcome(outcome)
    now = utcnow()
    if next_call_at is not None and as_utc(next_call_at) <= now:
        raise ValidationFailed(
            "The next call must be in the future",
            field="next_call_at",
            code=ErrorCode.NOT_IN_FUTURE,
        )
    activity = Activity(
        kind=ActivityKind.CALL.value,
        lead_id=lead_id,
        contact_id=lead.parent_contact_id,
        user_id=user_id,
        outcome=result.value,
        notes=_notes(notes, required=False),
        next_call_at=next_call_at,
        occurred_at=now,
        created_at=now,
    )
    uow.session.add(activity)
    uow.session.flush()
    if lead.parent_contact_id is not None:
        record_interaction(
            {
                "contact_id": lead.parent_contact_id,
                "lead_id": lead_id,
                "kind": CALL_INTERACTION_KIND,
                "occurred_at": now,
                "data": {"outcome": result.value, "activity_id": activity.id},
            },
            uow=uow,
        )
    uow.publish(
        CallLogged(
            activity_id=activity.id,
            lead_id=lead_id,
            contact_id=lead.parent_contact_id,
            outcome=result.value,
        )
    )
    return activity


def add_note(
    notes: str,
    *,
    uow: UnitOfWork,
    lead_id: int | None = None,
    contact_id: int | None = None,
    user_id: int | None = None,
) -> Activity:
    """A note on a lead or on a contact (one of the two)."""
    if (lead_id is None) == (contact_id is None):
        raise ValidationFailed(
            "A note belongs to a lead or a contact",
            field="lead_id",
            code=ErrorCode.LEAD_OR_CONTACT_REQUIRED,
        )
    if lead_id is not None and uow.session.get(Lead, lead_id) is None:
        raise NotFound(f"No lead with id {lead_id}", field="lead_id")
    if contact_id is not None and uow.session.get(Contact, contact_id) is None:
        raise NotFound(f"No contact with id {contact_id}", field="contact_id")
    now = utcnow()
    activity = Activity(
        kind=ActivityKind.NOTE.value,
        lead_id=lead_id,
        contact_id=contact_id,
        user_id=user_id,
        notes=_notes(notes, required=True),
        occurred_at=now,
        created_at=now,
    )
    uow.session.add(activity)
    uow.session.flush()
    uow.publish(NoteAdded(activity_id=activity.id, lead_id=lead_id, contact_id=contact_id))
    return activity


@dataclass(frozen=True)
class ActivityView:
    id: int
    kind: str
    outcome: str | None
    outcome_label: str | None
    notes: str | None
    next_call_at: datetime | None
    occurred_at: datetime
    user_name: str | None
    lead_id: int | None
    contact_id: int | None


def activities_of(
    session: Session, *, lead_id: int | None = None, contact_id: int | None = None, limit: int = 50
) -> list[ActivityView]:
    """A lead's activities, or a contact's (its own notes and those of its leads), newest
    first."""
    if lead_id is not None:
        where = Activity.lead_id == lead_id
    elif contact_id is not None:
        where = or_(
            Activity.contact_id == contact_id,
            Activity.lead_id.in_(select(Lead.id).where(Lead.parent_contact_id == contact_id)),
        )
    else:
        raise ValidationFailed(
            "Name a lead or a contact", field="lead_id", code=ErrorCode.LEAD_OR_CONTACT_REQUIRED
        )
    rows = session.execute(
        select(Activity, User.name)
        .outerjoin(User, User.id == Activity.user_id)
        .where(where)
        .order_by(Activity.occurred_at.desc(), Activity.id.desc())
        .limit(limit)
    )
    return [
        ActivityView(
            activity.id,
            activity.kind,
            activity.outcome,
            CallOutcome(activity.outcome).label if activity.outcome else None,
            activity.notes,
            activity.next_call_at,
            activity.occurred_at,
            user_name,
            activity.lead_id,
            activity.contact_id,
        )
        for activity, user_name in rows
    ]


# --- The call list -------------------------------------------------------------------------


@dataclass(frozen=True)
class CallItem:
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


def call_list(
    session: Session, queue: str = "telemarketing", *, limit: int = 200
) -> list[CallItem]:
    """The queue's open tasks as a call list, one statement: the person (the lead's name,
    else its contact's), the phone (the lead's, else the contact's), company, the best live
    score and its grade, the contact's last interaction, how long the lead waits in its
    stage, and the next call planned. Ordered by whose turn it is: a lead with a next call
    planned at that time, any other since it waits (the longest waiting first)."""
    rows = session.execute(_call_list_statement(queue, limit)).all()
    now = utcnow()
    return [_call_item(row, now) for row in rows]


def _call_list_statement(queue: str, limit: int) -> Select[*tuple[Any, ...]]:
    """The call list's one statement: each open task of the queue with its lead's person,
    phone, company, best score, last interaction, stage entry and last call."""
    best = (
        select(LeadScore.score, LeadScore.grade)
        .where(LeadScore.lead_id == Lead.id)
        .order_by(LeadScore.score.desc())
        .limit(1)
        .correlate(Lead)
    )
    last_interaction = (
        select(func.max(Interaction.occurred_at))
        .where(Interaction.contact_id == Lead.parent_contact_id)
        .correlate(Lead)
        .scalar_subquery()
    )
    last_call = (
        select(Activity.next_call_at, Activity.outcome)
        .where(Activity.lead_id == Lead.id, Activity.kind == ActivityKind.CALL.value)
        .order_by(Activity.occurred_at.desc(), Activity.id.desc())
        .limit(1)
        .correlate(Lead)
    )
    entered = (
        select(ProcessInstance.entered_stage_at)
        .where(ProcessInstance.lead_id == Lead.id, ProcessInstance.current.is_(True))
        .correlate(Lead)
        .scalar_subquery()
    )
    next_call = last_call.with_only_columns(Activity.next_call_at).scalar_subquery()
    return (
        select(
            Task.id,
            Task.created_at,
            Task.due_at,
            Lead.id,
            Lead.first_name,
            Lead.last_name,
            Lead.email,
            Lead.phone,
            Lead.company_name,
            Contact.first_name,
            Contact.last_name,
            Contact.phone,
            best.with_only_columns(LeadScore.score).scalar_subquery(),
            best.with_only_columns(LeadScore.grade).scalar_subquery(),
            last_interaction,
            entered,
            next_call,
            last_call.with_only_columns(Activity.outcome).scalar_subquery(),
        )
        .join(Lead, Lead.id == Task.lead_id)
        .outerjoin(Contact, Contact.id == Lead.parent_contact_id)
        .where(Task.queue == queue, Task.status == "open")
        # Whose turn it is: a planned next call at its time, else since the lead waits.
        .order_by(func.coalesce(next_call, entered, Task.created_at), Task.id)
        .limit(limit)
    )


def _call_item(row: Sequence[Any], now: datetime) -> CallItem:
    """One row of `_call_list_statement` as the caller sees it."""
    (task_id, created, due, lead_id, first, last, email, phone, company) = row[:9]
    (c_first, c_last, c_phone, score, grade, last_seen, entered_at, next_at, outcome) = row[9:]
    person = " ".join(p for p in (first, last) if p) or " ".join(p for p in (c_first, c_last) if p)
    return CallItem(
        task_id=task_id,
        lead_id=lead_id,
        person=person or email or f"Lead {lead_id}",
        phone=phone or c_phone,
        company=company,
        score=score,
        grade=grade,
        last_interaction_at=last_seen,
        waiting_since=as_utc(entered_at or created),
        next_call_at=next_at,
        last_outcome=CallOutcome(outcome).label if outcome else None,
        overdue=due is not None and as_utc(due) < now,
    )


def public_activity(view: ActivityView) -> dict[str, Any]:
    return {
        "id": view.id,
        "kind": view.kind,
        "outcome": view.outcome,
        "notes": view.notes,
        "next_call_at": view.next_call_at,
        "occurred_at": view.occurred_at,
        "user_name": view.user_name,
        "lead_id": view.lead_id,
        "contact_id": view.contact_id,
    }


do_log_call = in_own_transaction(log_call)
do_add_note = in_own_transaction(add_note)
