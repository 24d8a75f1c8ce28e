"""Tasks: the work a stage or a queue asks for, open until done or no longer due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from leadflow.contacts.models import Contact
from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import ErrorCode, NotFound, ValidationFailed
from leadflow.leads.models import Lead
from leadflow.lib.clock import utcnow
from leadflow.process import services as process
from leadflow.process.domain import SALES_ACCEPTANCE_QUEUE
from leadflow.sales.domain import QUEUE_LABELS, TaskStatus
from leadflow.sales.events import TaskCreated
from leadflow.sales.models import Task
from leadflow.sales.services._deadlines import deadline_hours
from leadflow.users.models import User


def current_stages(session: Session, lead_ids: list[int]) -> dict[int, str]:
    """The stage each lead stands in now (leads without a running process are left out)."""
    return process.active_stages(session, lead_ids)


def create_task(
    lead_id: int,
    *,
    uow: UnitOfWork,
    queue: str | None = None,
    owner_id: int | None = None,
    title: str | None = None,
    stage: str | None = None,
    hours: float | None = None,
    rule: str | None = None,
) -> Task:
    """A task in a queue or for an owner; one open task per lead and queue (idempotent)."""
    if queue is None and owner_id is None:
        raise ValidationFailed(
            "A task needs a queue or an owner",
            field="queue",
            code=ErrorCode.QUEUE_OR_OWNER_REQUIRED,
        )
    if uow.session.get(Lead, lead_id) is None:
        raise NotFound(f"No lead with id {lead_id}", field="lead_id")
    if owner_id is not None and uow.session.get(User, owner_id) is None:
        raise ValidationFailed(
            f"No user with id {owner_id}", field="owner_id", code=ErrorCode.USER_UNKNOWN
        )
    if queue is not None:
        existing = uow.session.scalar(
            select(Task).where(
                Task.lead_id == lead_id, Task.queue == queue, Task.status == TaskStatus.OPEN
            )
        )
        if existing is not None:
            return existing
    now = utcnow()
    due = now + timedelta(hours=deadline_hours(uow.session, queue or "owner", hours))
    task = Task(
        lead_id=lead_id,
        queue=queue,
        stage=stage,
        owner_id=owner_id,
        title=title
        or (f"Work the lead in the {QUEUE_LABELS.get(queue, queue)}" if queue else "Follow up"),
        status=TaskStatus.OPEN,
        due_at=due,
        created_by_rule=rule,
        created_at=now,
    )
    uow.session.add(task)
    uow.session.flush()
    uow.publish(TaskCreated(task_id=task.id, lead_id=lead_id, queue=queue, owner_id=owner_id))
    return task


def close_stage_tasks(lead_ids: list[int], stages: dict[int, str], *, uow: UnitOfWork) -> int:
    """The leads left stages: their open queue tasks of stages other than the one each
    stands in now (`stages`; none for a lead without a running process) are done. Set
    based: one read of the leads' open stage tasks (none for new leads) and one update."""
    if not lead_ids:
        return 0
    open_tasks = uow.session.execute(
        select(Task.id, Task.lead_id, Task.stage).where(
            Task.lead_id.in_(lead_ids), Task.status == TaskStatus.OPEN, Task.stage.is_not(None)
        )
    ).all()
    done = [row.id for row in open_tasks if stages.get(row.lead_id) != row.stage]
    if not done:
        return 0
    result = uow.session.execute(
        update(Task)
        .where(Task.id.in_(done), Task.status == TaskStatus.OPEN)
        .values(status=TaskStatus.DONE, closed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def accepted_leads(session: Session, lead_ids: list[int]) -> set[int]:
    """Those of the leads a manager accepted for sales (ticked sales accepted)."""
    if not lead_ids:
        return set()
    return set(
        session.scalars(select(Lead.id).where(Lead.id.in_(lead_ids), Lead.sales_accepted.is_(True)))
    )


def close_accepted_tasks(lead_ids: list[int], *, uow: UnitOfWork) -> int:
    """Accepted leads are done with in the Sales-acceptance queue: their open task there, and
    so its deadline, is closed, whatever path ticked sales accepted (accept, the process bar,
    the API, an automation rule). One statement for the whole batch."""
    if not lead_ids:
        return 0
    accepted = select(Lead.id).where(Lead.id.in_(lead_ids), Lead.sales_accepted.is_(True))
    result = uow.session.execute(
        update(Task)
        .where(
            Task.lead_id.in_(accepted),
            Task.queue == SALES_ACCEPTANCE_QUEUE,
            Task.status == TaskStatus.OPEN,
        )
        .values(status=TaskStatus.DONE, closed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def complete_task(task_id: int, *, uow: UnitOfWork) -> Task:
    task = uow.session.get(Task, task_id)
    if task is None:
        raise NotFound(f"No task with id {task_id}", field="task_id")
    if task.status == TaskStatus.OPEN:
        task.status = TaskStatus.DONE
        task.closed_at = utcnow()
        uow.session.flush()
    return task


@dataclass(frozen=True)
class QueueItem:
    task_id: int
    lead_id: int
    lead_title: str
    # Who the lead is about (its names, else its contact's), beside the topic: several of
    # a queue's leads often share one topic (a webinar, a fair).
    person_name: str | None
    company_name: str | None
    owner_id: int | None
    owner_name: str | None
    due_at: datetime | None
    overdue: bool
    escalated: bool
    sales_ready: bool


def _queue_items(session: Session, statement: Select[Task, Lead], now: datetime) -> list[QueueItem]:
    rows = session.execute(
        statement.add_columns(User.name, Contact.first_name, Contact.last_name)
        .outerjoin(User, User.id == Lead.owner_id)
        .outerjoin(Contact, Contact.id == Lead.parent_contact_id)
    )
    items = []
    for task, lead, owner_name, first, last in rows:
        person = _full_name(lead.first_name, lead.last_name) or _full_name(first, last)
        items.append(_queue_item(task, lead, owner_name, person, now))
    return items


def _full_name(first: str | None, last: str | None) -> str | None:
    return " ".join(part for part in (first, last) if part) or None


def _queue_item(
    task: Task, lead: Lead, owner_name: str | None, person: str | None, now: datetime
) -> QueueItem:
    return QueueItem(
        task.id,
        lead.id,
        lead.topic or person or f"Lead {lead.id}",
        person,
        lead.company_name,
        lead.owner_id,
        owner_name,
        task.due_at,
        task.due_at is not None and task.due_at < now,
        task.escalated_at is not None,
        lead.sales_ready,
    )


def queue_items(session: Session, queue: str, *, limit: int = 200) -> list[QueueItem]:
    """The open tasks of a queue, most urgent first."""
    statement = (
        select(Task, Lead)
        .join(Lead, Lead.id == Task.lead_id)
        .where(Task.queue == queue, Task.status == TaskStatus.OPEN)
        .order_by(Task.due_at, Task.id)
        .limit(limit)
    )
    return _queue_items(session, statement, utcnow())


def overdue_tasks(session: Session, *, limit: int = 20) -> list[QueueItem]:
    """Open tasks past due, the longest overdue first."""
    now = utcnow()
    statement = (
        select(Task, Lead)
        .join(Lead, Lead.id == Task.lead_id)
        .where(Task.status == TaskStatus.OPEN, Task.due_at < now)
        .order_by(Task.due_at, Task.id)
        .limit(limit)
    )
    return _queue_items(session, statement, now)


def open_tasks(session: Session, lead_id: int) -> list[Task]:
    return list(
        session.scalars(
            select(Task)
            .where(Task.lead_id == lead_id, Task.status == TaskStatus.OPEN)
            .order_by(Task.due_at)
        )
    )


# Use cases: what faces call; each opens the unit of work and commits it.
do_create_task = in_own_transaction(create_task)
do_complete_task = in_own_transaction(complete_task)
