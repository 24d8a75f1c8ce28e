"""Speed-to-lead deadlines: how long a queue has to touch a lead, and escalation past it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.lib.clock import utcnow
from leadflow.sales.domain import DEFAULT_DEADLINE_HOURS, TaskStatus
from leadflow.sales.events import TaskOverdue
from leadflow.sales.models import Notification, SpeedToLead, Task
from leadflow.users.domain import Role
from leadflow.users.models import User


def deadline_hours(session: Session, queue: str, default: float | None) -> float:
    configured = session.scalar(select(SpeedToLead.hours).where(SpeedToLead.queue == queue))
    if configured is not None:
        return float(configured)
    return default if default is not None else DEFAULT_DEADLINE_HOURS


def set_deadline(queue: str, hours: float, *, uow: UnitOfWork) -> None:
    if hours <= 0 or hours > 24 * 365:
        raise ValidationFailed(
            "The deadline must be between 0 and 8760 hours",
            field="hours",
            code=ErrorCode.OUT_OF_RANGE,
        )
    row = uow.session.get(SpeedToLead, queue)
    if row is None:
        uow.session.add(SpeedToLead(queue=queue, hours=hours, updated_at=utcnow()))
    else:
        row.hours = hours
        row.updated_at = utcnow()
    uow.session.flush()


def deadlines(session: Session) -> dict[str, float]:
    return dict(session.execute(select(SpeedToLead.queue, SpeedToLead.hours)).all())


def check_deadlines(*, uow: UnitOfWork, now: datetime | None = None) -> list[int]:
    """Escalate open tasks past due, once each: mark them and tell every sales manager."""
    now = now or utcnow()
    overdue = list(
        uow.session.execute(
            update(Task)
            .where(Task.status == TaskStatus.OPEN, Task.due_at < now, Task.escalated_at.is_(None))
            .values(escalated_at=now)
            .returning(Task.id, Task.lead_id, Task.queue)
            .execution_options(synchronize_session=False)
        )
    )
    if not overdue:
        return []
    task_ids = [task_id for task_id, _, _ in overdue]
    managers = (
        select(
            User.id,
            literal("Overdue task").label("title"),
            Task.title,
            Task.lead_id,
            literal(now).label("created_at"),
        )
        .join(Task, Task.id.in_(task_ids))
        .where(User.role == Role.SALES_MANAGER.value, User.is_active.is_(True))
    )
    uow.session.execute(
        insert(Notification).from_select(
            ["user_id", "title", "body", "lead_id", "created_at"], managers
        )
    )
    uow.publish(
        *(
            TaskOverdue(task_id=task_id, lead_id=lead_id, queue=queue)
            for task_id, lead_id, queue in overdue
        )
    )
    return task_ids


def overdue_count(session: Session, now: datetime | None = None) -> int:
    now = now or utcnow()
    return int(
        session.scalar(
            select(func.count())
            .select_from(Task)
            .where(Task.status == TaskStatus.OPEN, Task.due_at < now)
        )
        or 0
    )


def escalated_count(session: Session) -> int:
    return int(
        session.scalar(select(func.count()).select_from(Task).where(Task.escalated_at.is_not(None)))
        or 0
    )


# Use cases: what faces call; each opens the unit of work and commits it.
do_set_deadline = in_own_transaction(set_deadline)
do_check_deadlines = in_own_transaction(check_deadlines)
