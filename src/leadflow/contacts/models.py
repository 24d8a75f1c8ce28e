"""The contacts table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.base import Base, Id, JsonData, UTCDateTime
from leadflow.lib.clock import utcnow


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320))
    # Trimmed and case-folded: the form matching strategies compare.
    email_normalized: Mapped[str | None] = mapped_column(String(320), index=True)
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    job_title: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(32))
    # E.164 when the number parses; otherwise what was given.
    phone: Mapped[str | None] = mapped_column(String(50))
    phone_raw: Mapped[str | None] = mapped_column(String(50))
    country: Mapped[str | None] = mapped_column(String(100))
    city: Mapped[str | None] = mapped_column(String(100))
    account_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    marketing_only: Mapped[bool] = mapped_column(default=False)
    consent: Mapped[str] = mapped_column(String(32), default="none")
    do_not_email: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str | None] = mapped_column(String(100))
    # Set when this contact was merged into another (the survivor); kept, and redirecting.
    # Not indexed: queries only test it for NULL, which nearly every contact is.
    merged_into_id: Mapped[int | None] = mapped_column(Id)
    custom: Mapped[dict[str, Any]] = mapped_column(JsonData, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        # Search: an exact name is read in list order from (name, created_at, id).
        Index("ix_contacts_last_name_lower", func.lower(last_name), "created_at", "id"),
        Index("ix_contacts_first_name_lower", func.lower(first_name), "created_at", "id"),
        Index(
            "ix_contacts_last_first_lower",
            func.lower(last_name),
            func.lower(first_name),
            "created_at",
            "id",
        ),
        Index("ix_contacts_created_at_id", "created_at", "id"),
    )
