"""Hand-over use cases: tasks, deadlines, assignment, qualify/disqualify/recycle, notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, literal, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import ScalarSelect

from leadflow.contacts.models import Contact
from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import Conflict, NotFound, ValidationFailed
from leadflow.leads.domain import LeadStatus, LeadStatusReason, reason_fits
from leadflow.leads.models import Lead
from leadflow.lib.clock import utcnow
from leadflow.opportunities.models import Opportunity
from leadflow.process import services as process
from leadflow.process.domain import MARKETING_QUALIFICATION, SALES_ACCEPTANCE_QUEUE
from leadflow.sales.events import (
    LeadAssigned,
    LeadDisqualified,
    LeadQualified,
    LeadReactivated,
    LeadRecycled,
    TaskCreated,
    TaskOverdue,
)
from leadflow.sales.models import Assignment, Notification, Recycle, SpeedToLead, Task
from leadflow.users.domain import Role
from leadflow.users.models import User

DEFAULT_DEADLINE_HOURS = 24.0

QUEUE_LABELS = {
    "telemarketing": "Telemarketing queue",
    "sales_acceptance": "Sales-acceptance queue",
}


class TaskStatus:
    OPEN = "open"
    DONE = "done"
    CANCELED = "canceled"


# --- Deadlines -----------------------------------------------------------------------------


def deadline_hours(session: Session, queue: str, default: float | None) -> float:
    configured = session.scalar(select(SpeedToLead.hours).where(SpeedToLead.queue == queue))
    if configured is not None:
        return float(configured)
    return default if default is not None else DEFAULT_DEADLINE_HOURS


def set_deadline(queue: str, hours: float, *, uow: UnitOfWork) -> None:
    if hours <= 0 or hours > 24 * 365:
        raise ValidationFailed("The deadline must be between 0 and 8760 hours", field="hours")
    row = uow.session.get(SpeedToLead, queue)
    if row is None:
        uow.session.add(SpeedToLead(queue=queue, hours=hours, updated_at=utcnow()))
    else:
        row.hours = hours
        row.updated_at = utcnow()
    uow.session.flush()


def deadlines(session: Session) -> dict[str, float]:
    return dict(session.execute(select(SpeedToLead.queue, SpeedToLead.hours)).all())


# --- Tasks ---------------------------------------------------------------------------------


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
        raise ValidationFailed("A task needs a queue or an owner", field="queue")
    if uow.session.get(Lead, lead_id) is None:
        raise NotFound(f"No lead with id {lead_id}", field="lead_id")
    if owner_id is not None and uow.session.get(User, owner_id) is None:
        raise ValidationFailed(f"No user with id {owner_id}", field="owner_id")
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


@dataclass(frozen=True)
class QueueItem:
    task_id: int
    lead_id: int
    lead_title: str
    company_name: str | None
    owner_id: int | None
    owner_name: str | None
    due_at: datetime | None
    overdue: bool
    escalated: bool
    sales_ready: bool


def queue_items(session: Session, queue: str, *, limit: int = 200) -> list[QueueItem]:
    """The open tasks of a queue, most urgent first."""
    now = utcnow()
    rows = session.execute(
        select(Task, Lead, User.name)
        .join(Lead, Lead.id == Task.lead_id)
        .outerjoin(User, User.id == Lead.owner_id)
        .where(Task.queue == queue, Task.status == TaskStatus.OPEN)
        .order_by(Task.due_at, Task.id)
        .limit(limit)
    )
    items = []
    for task, lead, owner_name in rows:
        name = " ".join(part for part in (lead.first_name, lead.last_name) if part)
        items.append(
            QueueItem(
                task.id,
                lead.id,
                lead.topic or name or f"Lead {lead.id}",
                lead.company_name,
                lead.owner_id,
                owner_name,
                task.due_at,
                task.due_at is not None and task.due_at < now,
                task.escalated_at is not None,
                lead.sales_ready,
            )
        )
    return items


def overdue_tasks(session: Session, *, limit: int = 20) -> list[QueueItem]:
    """Open tasks past due, the longest overdue first."""
    now = utcnow()
    rows = session.execute(
        select(Task, Lead, User.name)
        .join(Lead, Lead.id == Task.lead_id)
        .outerjoin(User, User.id == Lead.owner_id)
        .where(Task.status == TaskStatus.OPEN, Task.due_at < now)
        .order_by(Task.due_at, Task.id)
        .limit(limit)
    )
    return [
        QueueItem(
            task.id,
            lead.id,
            lead.topic or lead.last_name or f"Lead {lead.id}",
            lead.company_name,
            lead.owner_id,
            owner_name,
            task.due_at,
            True,
            task.escalated_at is not None,
            lead.sales_ready,
        )
        for task, lead, owner_name in rows
    ]


def open_tasks(session: Session, lead_id: int) -> list[Task]:
    return list(
        session.scalars(
            select(Task)
            .where(Task.lead_id == lead_id, Task.status == TaskStatus.OPEN)
            .order_by(Task.due_at)
        )
    )


# --- Assignment ----------------------------------------------------------------------------


def _open_load() -> ScalarSelect[int]:
    return (
        select(func.count())
        .select_from(Lead)
        .where(Lead.owner_id == User.id, Lead.status == LeadStatus.OPEN.value)
        .correlate(User)
        .scalar_subquery()
    )


def assign_lead(
    lead_id: int,
    user_id: int,
    *,
    uow: UnitOfWork,
    by_user_id: int | None = None,
    method: str = "manual",
    reason: str | None = None,
) -> Assignment:
    """Make `user_id` the lead's owner and record why."""
    from leadflow.leads.services import update_lead

    user = uow.session.get(User, user_id)
    if user is None or not user.is_active:
        raise ValidationFailed(f"No active user with id {user_id}", field="user_id")
    update_lead(lead_id, {"owner_id": user_id}, uow=uow)
    record = Assignment(
        lead_id=lead_id,
        user_id=user_id,
        assigned_by_user_id=by_user_id,
        method=method,
        reason=reason or f"assigned by hand to {user.name}",
        created_at=utcnow(),
    )
    uow.session.add(record)
    uow.session.flush()
    uow.publish(LeadAssigned(lead_id=lead_id, user_id=user_id, method=method))
    return record


def round_robin_assign(
    lead_id: int, *, uow: UnitOfWork, by_user_id: int | None = None, role: str = "salesperson"
) -> Assignment:
    """Give the lead to the active salesperson under capacity who waited longest since their
    last round-robin lead (never assigned first, then by id); the reason says why."""
    load = _open_load().label("load")
    last = (
        select(func.max(Assignment.created_at))
        .where(Assignment.user_id == User.id, Assignment.method == "round_robin")
        .correlate(User)
        .scalar_subquery()
        .label("last_assigned")
    )
    candidates = (
        select(User.id, User.name, User.capacity, load, last)
        .where(
            User.role == role,
            User.is_active.is_(True),
            or_(User.capacity.is_(None), load < User.capacity),
        )
        .order_by(last.is_not(None), last, User.id)
        .limit(1)
    )
    chosen = uow.session.execute(candidates).first()
    if chosen is None:
        raise Conflict(
            f"Every active {role} is at capacity; raise a capacity or assign by hand",
            field="user_id",
        )
    user_id, name, capacity, current_load, last_at = chosen
    limit = "no limit" if capacity is None else f"capacity {capacity}"
    since = (
        "never had a round-robin lead" if last_at is None else "waited longest since the last one"
    )
    reason = f"round-robin: {name} had {current_load} open lead(s) ({limit}) and {since}"
    return assign_lead(
        lead_id, user_id, uow=uow, by_user_id=by_user_id, method="round_robin", reason=reason
    )


def assignments(session: Session, lead_id: int) -> list[Assignment]:
    return list(
        session.scalars(
            select(Assignment).where(Assignment.lead_id == lead_id).order_by(Assignment.id.desc())
        )
    )


def accept_lead(
    lead_id: int, user_id: int | None, *, uow: UnitOfWork, by_user_id: int | None = None
) -> Lead:
    """A manager assigns the lead (round-robin when no user is named), ticks sales accepted."""
    from leadflow.leads.services import update_lead

    if user_id is None:
        round_robin_assign(lead_id, uow=uow, by_user_id=by_user_id)
    else:
        assign_lead(lead_id, user_id, uow=uow, by_user_id=by_user_id)
    lead = update_lead(lead_id, {"sales_accepted": True}, uow=uow)
    # Closed here as well as by the handler of the update, so the queue is right at once.
    uow.session.flush()
    close_accepted_tasks([lead_id], uow=uow)
    return lead


# --- Qualify, disqualify, reactivate, recycle ----------------------------------------------


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
        raise Conflict(f"The lead is already {lead.status}", field="status")
    return lead


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
    from leadflow.contacts.services import create_contact
    from leadflow.leads.services import update_lead
    from leadflow.opportunities.services import create_opportunity

    lead = _open_lead(uow.session, lead_id)
    account_id = lead.parent_account_id
    if account_id is None and options.use_or_create_account and lead.company_name:
        account_id = create_account({"name": lead.company_name}, uow=uow).id
    contact_id = lead.parent_contact_id
    if contact_id is None and options.use_or_create_contact:
        if not (lead.email or lead.last_name or lead.first_name):
            raise ValidationFailed(
                "The lead has no name or email to create a contact from", field="parent_contact_id"
            )
        contact_id = create_contact(
            {
                "first_name": lead.first_name,
                "last_name": lead.last_name,
                "email": lead.email,
                "phone": lead.phone,
                "job_title": lead.job_title,
                "account_id": account_id,
            },
            uow=uow,
        ).id
    opportunity_id = None
    if options.create_opportunity:
        name = lead.topic or lead.company_name or f"Opportunity from lead {lead.id}"
        opportunity_id = create_opportunity(
            {
                "name": name,
                "contact_id": contact_id,
                "account_id": account_id,
                "originating_lead_id": lead.id,
                "estimated_value": lead.budget_amount,
            },
            uow=uow,
        ).id
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
            f"Unknown status reason '{status_reason}'", field="status_reason"
        ) from None
    if not reason_fits(LeadStatus.DISQUALIFIED, reason):
        raise ValidationFailed(
            f"'{status_reason}' is not a reason to disqualify", field="status_reason"
        )
    has_opportunity = uow.session.scalar(
        select(Opportunity.id).where(Opportunity.originating_lead_id == lead.id).limit(1)
    )
    if has_opportunity is not None:
        raise Conflict(
            "An opportunity came from this lead; it cannot be disqualified", field="status"
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
        raise Conflict("Only a disqualified lead can be reactivated", field="status")
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
        raise ValidationFailed("Say why the lead goes back to marketing", field="reason")
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


# --- Notifications -------------------------------------------------------------------------


def notify(
    *,
    uow: UnitOfWork,
    title: str,
    body: str = "",
    user_id: int | None = None,
    role: str | None = None,
    lead_id: int | None = None,
) -> int:
    """Notify one user, or every active member of a role; returns how many were notified."""
    if (user_id is None) == (role is None):
        raise ValidationFailed("Notify a user or a role", field="user_id")
    now = utcnow()
    users = select(
        User.id,
        literal(title).label("title"),
        literal(body).label("body"),
        literal(lead_id).label("lead_id"),
        literal(now).label("created_at"),
    ).where(User.is_active.is_(True))
    if user_id is not None:
        users = users.where(User.id == user_id)
    else:
        try:
            users = users.where(User.role == Role(str(role)).value)
        except ValueError:
            raise ValidationFailed(f"No role '{role}'", field="role") from None
    created = uow.session.scalars(
        insert(Notification)
        .from_select(["user_id", "title", "body", "lead_id", "created_at"], users)
        .returning(Notification.id)
    )
    return len(created.all())


def unread_count(session: Session, user_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


def notifications(session: Session, user_id: int, *, limit: int = 50) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def mark_read(user_id: int, *, uow: UnitOfWork) -> None:
    uow.session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )


# --- Use cases: what faces call; each opens the unit of work and commits it ----------------
# `do_x` carries out the step `x` in a transaction of its own. The steps stay for the
# handlers, automation actions and seeds that run them inside a larger unit.


do_set_deadline = in_own_transaction(set_deadline)


do_create_task = in_own_transaction(create_task)


do_complete_task = in_own_transaction(complete_task)
do_check_deadlines = in_own_transaction(check_deadlines)


do_assign_lead = in_own_transaction(assign_lead)


do_round_robin_assign = in_own_transaction(round_robin_assign)


do_accept_lead = in_own_transaction(accept_lead)
do_qualify_lead = in_own_transaction(qualify_lead)
do_disqualify_lead = in_own_transaction(disqualify_lead)
do_reactivate_lead = in_own_transaction(reactivate_lead)
do_recycle_lead = in_own_transaction(recycle_lead)
do_mark_read = in_own_transaction(mark_read)
