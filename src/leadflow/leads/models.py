"""The leads table."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.base import Base, Id, JsonData, UTCDateTime
from leadflow.lib.clock import utcnow


class Lead(Base):
    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    topic: Mapped[str | None] = mapped_column(String(300))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(320))
    email_normalized: Mapped[str | None] = mapped_column(String(320), index=True)
    company_name: Mapped[str | None] = mapped_column(String(200))
    job_title: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(50))
    phone_raw: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(16), default="open")
    status_reason: Mapped[str] = mapped_column(String(32), default="new")
    source: Mapped[str] = mapped_column(String(16), default="manual")
    campaign: Mapped[str | None] = mapped_column(String(200))
    marketing_page_id: Mapped[int | None] = mapped_column(Id)
    marketing_form_id: Mapped[int | None] = mapped_column(Id)
    event_id: Mapped[int | None] = mapped_column(Id)
    journey_id: Mapped[int | None] = mapped_column(Id)
    parent_contact_id: Mapped[int | None] = mapped_column(Id, ForeignKey("contacts.id"), index=True)
    parent_account_id: Mapped[int | None] = mapped_column(Id, ForeignKey("accounts.id"))
    owner_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    sales_ready: Mapped[bool] = mapped_column(default=False)
    # When and how the lead last became sales-ready: "score" or "manual".
    sales_ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sales_ready_source: Mapped[str | None] = mapped_column(String(16))
    telemarketing_ready: Mapped[bool] = mapped_column(default=False)
    telemarketing_accepted: Mapped[bool] = mapped_column(default=False)
    sales_accepted: Mapped[bool] = mapped_column(default=False)
    purchase_timeframe: Mapped[str | None] = mapped_column(String(32))
    purchase_process: Mapped[str | None] = mapped_column(String(32))
    budget_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    need: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    # Set when this lead was merged into another (the survivor); kept, and redirecting.
    # Not indexed: queries only test it for NULL, which nearly every lead is.
    merged_into_id: Mapped[int | None] = mapped_column(Id)
    custom: Mapped[dict[str, Any]] = mapped_column(JsonData, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        # Scoring looks up an account's leads that have no contact (account-based):
        # with the contact in the index, that never reads the leads' rows.
        Index("ix_leads_parent_account_contact", "parent_account_id", "parent_contact_id"),
        Index("ix_leads_created_at_id", "created_at", "id"),
        Index("ix_leads_status_created_at_id", "status", "created_at", "id"),
        # Search: an exact name is read in list order from (name, created_at, id).
        Index("ix_leads_last_name_lower", func.lower(last_name), "created_at", "id"),
        Index("ix_leads_first_name_lower", func.lower(first_name), "created_at", "id"),
        Index(
            "ix_leads_last_first_lower",
            func.lower(last_name),
            func.lower(first_name),
            "created_at",
            "id",
        ),
        Index("ix_leads_company_name_lower", func.lower(company_name), "created_at", "id"),
    )
