"""Tables of the matching capability."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.base import Base, Id, JsonData, UTCDateTime
from leadflow.lib.clock import utcnow


class MatchingStrategy(Base):
    """A list of registry fields; records whose fields all equal the submitted values match."""

    __tablename__ = "matching_strategies"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    # "contact" or "lead"
    target: Mapped[str] = mapped_column(String(16))
    fields: Mapped[list[str]] = mapped_column(JsonData, default=list)
    # The org default for new forms: at most one per target (enforced by the service).
    is_default: Mapped[bool] = mapped_column(default=False)
    # The duplicates list groups records by this strategy's fields. Off for a strategy that
    # finds a person's record for an update (email alone, for LinkedIn leads) where the
    # same person rightly has several: their other inquiries would all be listed.
    lists_duplicates: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Set on the strategies seeded at first start, so seeding stays idempotent after renames.
    seed_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MatchKey(Base):
    """A claimed (strategy, normalised values) pair: the database-enforced creation lock.

    Whoever inserts the key first created the record; a concurrent submission of the
    same values hits the unique constraint and uses the winner instead of creating.
    """

    __tablename__ = "match_keys"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    strategy_id: Mapped[int] = mapped_column(Id)
    key: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[int] = mapped_column(Id)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Keys are read by (strategy, key) and deleted by strategy: the unique index serves both.
    __table_args__ = (UniqueConstraint("strategy_id", "key"),)
