"""Tables of the duplicates capability: the last check's candidate pairs, per entity.

Finding duplicates is a GROUP BY over every record per strategy: seconds at a million
records. It runs in the background (`duplicates.tasks`) and its result is kept here, so
the page and the API read a hundred rows, not the tables.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.base import Base, Id, UTCDateTime


class DuplicateCandidate(Base):
    """Two records of `entity` sharing a key under a strategy: the group's lowest and
    highest id, and how many records the group held when it was found."""

    __tablename__ = "duplicate_candidates"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    entity: Mapped[str] = mapped_column(String(32))
    strategy_id: Mapped[int] = mapped_column(Id)
    strategy_name: Mapped[str] = mapped_column(String(200))
    first_id: Mapped[int] = mapped_column(Id)
    second_id: Mapped[int] = mapped_column(Id)
    size: Mapped[int] = mapped_column(Integer)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_duplicate_candidates_entity_second", "entity", "second_id"),)


class DuplicateCheck(Base):
    """When an entity was last checked, how long it took, and whether records changed
    since it started (`requested_at`: a check is due)."""

    __tablename__ = "duplicate_checks"

    entity: Mapped[str] = mapped_column(String(32), primary_key=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seconds: Mapped[float | None] = mapped_column(Float)
    candidates: Mapped[int | None] = mapped_column(Integer)
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
