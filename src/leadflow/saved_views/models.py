"""Tables of the views capability: saved views of leads and contacts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.base import Base, Id, JsonData, UTCDateTime
from leadflow.lib.clock import utcnow


class SavedView(Base):
    """Filters (`field__op` params), columns and sort for a list; shipped or a user's own."""

    __tablename__ = "saved_views"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    # Shipped views have a stable key (the seed finds them by it); users' views have none.
    key: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    entity: Mapped[str] = mapped_column(String(32))
    filters: Mapped[list[Any]] = mapped_column(JsonData, default=list)
    columns: Mapped[list[str]] = mapped_column(JsonData, default=list)
    sort: Mapped[str | None] = mapped_column(String(100))
    # The team a shipped view is for: "sales", "marketing", "telemarketing" (None: everyone).
    audience: Mapped[str | None] = mapped_column(String(32))
    owner_id: Mapped[int | None] = mapped_column(Id, ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_saved_views_entity_owner", "entity", "owner_id"),)
