"""The activities table: one row per logged call or note."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.base import Base, Id, UTCDateTime
from leadflow.lib.clock import utcnow


class Activity(Base):
    """A call logged (with its outcome and the next call) or a note, on a lead or a contact."""

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    lead_id: Mapped[int | None] = mapped_column(Id, ForeignKey("leads.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("contacts.id", ondelete="CASCADE")
    )
    user_id: Mapped[int | None] = mapped_column(Id, ForeignKey("users.id", ondelete="SET NULL"))
    outcome: Mapped[str | None] = mapped_column(String(32))
    notes: Mapped[str | None] = mapped_column(Text)
    next_call_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_activities_lead_occurred", "lead_id", "occurred_at"),
        Index("ix_activities_contact_occurred", "contact_id", "occurred_at"),
    )
