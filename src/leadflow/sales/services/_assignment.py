"""Assignment: who owns a lead (named, or round-robin by open load), and acceptance."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import ScalarSelect

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import Conflict, ErrorCode, ValidationFailed
from leadflow.leads.domain import LeadStatus
from leadflow.leads.models import Lead
from leadflow.lib.clock import utcnow
from leadflow.sales.events import LeadAssigned
from leadflow.sales.models import Assignment
from leadflow.sales.services._tasks import close_accepted_tasks
from leadflow.users.models import User


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
        raise ValidationFailed(
            f"No active user with id {user_id}", field="user_id", code=ErrorCode.USER_UNKNOWN
        )
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
            code=ErrorCode.CAPACITY_REACHED,
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


# Use cases: what faces call; each opens the unit of work and commits it.
do_assign_lead = in_own_transaction(assign_lead)
do_round_robin_assign = in_own_transaction(round_robin_assign)
do_accept_lead = in_own_transaction(accept_lead)
