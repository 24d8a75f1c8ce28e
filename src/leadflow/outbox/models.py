"""The outbox table: events stored with the change that caused them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.base import Base, Id, JsonData, UTCDateTime
from leadflow.lib.clock import utcnow


class OutboxMessage(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonData)
    # What the event is about ("lead:34"): the unit of ordering and of waiting.
    subject: Mapped[str | None] = mapped_column(String(80))
    # How many handler steps separate it from a person's or a system's own write.
    depth: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    parked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index(
            "ix_outbox_pending",
            "id",
            sqlite_where=dispatched_at.is_(None),
            postgresql_where=dispatched_at.is_(None),
        ),
        Index(
            "ix_outbox_pending_subject",
            "subject",
            "id",
            sqlite_where=dispatched_at.is_(None),
            postgresql_where=dispatched_at.is_(None),
        ),
    )


def outbox_table() -> Table:
    return cast(Table, OutboxMessage.__table__)
