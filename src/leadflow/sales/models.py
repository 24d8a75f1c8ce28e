"""Tables of the sales capability: tasks, deadlines, assignments, recycles, notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.base import Base, Id, JsonData, UTCDateTime
from leadflow.lib.clock import utcnow


class Task(Base):
    """Work on a lead, in a queue or for an owner, due by a speed-to-lead deadline."""

    __tablename__ = "sales_tasks"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    lead_id: Mapped[int] = mapped_column(Id, ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    queue: Mapped[str | None] = mapped_column(String(64))
    stage: Mapped[str | None] = mapped_column(String(64))
    owner_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="open")
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_rule: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_sales_tasks_status_due_at", "status", "due_at"),
        Index("ix_sales_tasks_queue_status", "queue", "status"),
    )


class SpeedToLead(Base):
    """The configurable deadline of a queue's tasks (overrides the stage's default)."""

    __tablename__ = "sales_deadlines"

    queue: Mapped[str] = mapped_column(String(64), primary_key=True)
    hours: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Assignment(Base):
    """Who a lead went to, how, and why."""

    __tablename__ = "sales_assignments"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    lead_id: Mapped[int] = mapped_column(Id, ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    assigned_by_user_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("users.id", ondelete="SET NULL")
    )
    method: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Recycle(Base):
    """Sales sent a lead back to marketing."""

    __tablename__ = "sales_recycles"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    lead_id: Mapped[int] = mapped_column(Id, ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(Id, ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(Base):
    """An in-app notification for one user (a role's notification is one row per member)."""

    __tablename__ = "sales_notifications"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    user_id: Mapped[int] = mapped_column(Id, ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    lead_id: Mapped[int | None] = mapped_column(Id, ForeignKey("leads.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_sales_notifications_user_read", "user_id", "read_at"),)


class WebhookDelivery(Base):
    """One signed POST a rule asked for, and how its attempts went."""

    __tablename__ = "sales_webhook_deliveries"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    rule_key: Mapped[str] = mapped_column(String(120), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    body: Mapped[dict[str, Any]] = mapped_column(JsonData)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    response_status: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookSecret(Base):
    """The HMAC key of one rule's webhook calls."""

    __tablename__ = "sales_webhook_secrets"

    rule_key: Mapped[str] = mapped_column(String(120), primary_key=True)
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
