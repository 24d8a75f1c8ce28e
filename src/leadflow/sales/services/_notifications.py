"""Notifications: what a user is told (an escalated task, a lead assigned), and what they read."""

from __future__ import annotations

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.lib.clock import utcnow
from leadflow.sales.models import Notification
from leadflow.users.domain import Role
from leadflow.users.models import User


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
        raise ValidationFailed(
            "Notify a user or a role", field="user_id", code=ErrorCode.USER_OR_ROLE_REQUIRED
        )
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
            raise ValidationFailed(
                f"No role '{role}'", field="role", code=ErrorCode.ROLE_UNKNOWN
            ) from None
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


# Use cases: what faces call; each opens the unit of work and commits it.
do_mark_read = in_own_transaction(mark_read)
