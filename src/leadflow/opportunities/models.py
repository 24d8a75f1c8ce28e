"""The opportunities table."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, func
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.base import Base, Id, UTCDateTime
from leadflow.lib.clock import utcnow


class Opportunity(Base):
    __tablename__ = "opportunities"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    contact_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    account_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    originating_lead_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("leads.id", ondelete="SET NULL"), index=True
    )
    estimated_value: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_opportunities_name_lower", func.lower(name), "created_at", "id"),
        Index("ix_opportunities_created_at_id", "created_at", "id"),
    )
