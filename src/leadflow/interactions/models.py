"""The interactions table: append-only, read by scoring and segments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.base import Base, Id, JsonData, UTCDateTime
from leadflow.lib.clock import utcnow


class Interaction(Base):
    __tablename__ = "interactions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    contact_id: Mapped[int] = mapped_column(Id, ForeignKey("contacts.id", ondelete="CASCADE"))
    lead_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("leads.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[dict[str, Any]] = mapped_column(JsonData, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # "This contact's interactions of kind K in the last N days" is the query
    # scoring and segments run most; this index answers it by range scan, and with
    # target_id in it scoring's aggregate never reads the table's rows.
    __table_args__ = (
        # The segments' window sweep: the interactions of a kind a moving window's edge
        # passed over in a day (without it, every interaction is read per segment).
        Index("ix_interactions_kind_occurred_at", "kind", "occurred_at"),
        Index(
            "ix_interactions_contact_kind_time_target",
            "contact_id",
            "kind",
            "occurred_at",
            "target_id",
        ),
    )
