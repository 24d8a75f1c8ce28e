"""Tables of journeys: the journey, its published versions, contacts' positions in it,
the history of their steps, their split branches, and the leads made per account."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.base import Base, Id, JsonData, UTCDateTime
from leadflow.lib.clock import utcnow


class Journey(Base):
    """A nurture journey: `definition` and `settings` are what is being edited; a live
    journey runs the published `version` (journey_versions)."""

    __tablename__ = "journeys"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    # draft -> live -> stopped (-> live again: resumed)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    # 0 while never live; each go-live of a changed definition publishes the next.
    version: Mapped[int] = mapped_column(Integer, default=0)
    definition: Mapped[dict[str, Any]] = mapped_column(JsonData, default=dict)
    settings: Mapped[dict[str, Any]] = mapped_column(JsonData, default=dict)
    owner_id: Mapped[int | None] = mapped_column(Id, ForeignKey("users.id", ondelete="SET NULL"))
    went_live_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JourneyVersion(Base):
    """One published definition: the positions that entered under it keep it."""

    __tablename__ = "journey_versions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    journey_id: Mapped[int] = mapped_column(Id, ForeignKey("journeys.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JsonData, default=dict)
    settings: Mapped[dict[str, Any]] = mapped_column(JsonData, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("journey_id", "version"),)


class JourneyPosition(Base):
    """One entry of a contact in a journey: the tile it stands on and when it is due.

    Keyed by (journey, version, contact, entry number); a contact has at most one
    position per entry number (unique on contact, journey, entry), and at most one
    active (waiting or due) at a time, which entry enforces.
    """

    __tablename__ = "journey_positions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    journey_id: Mapped[int] = mapped_column(Id, ForeignKey("journeys.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    contact_id: Mapped[int] = mapped_column(Id, ForeignKey("contacts.id", ondelete="CASCADE"))
    entry_number: Mapped[int] = mapped_column(Integer, default=1)
    tile_id: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="due")
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[dict[str, Any]] = mapped_column(JsonData, default=dict)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When it finished (done or exited): re-entry counts the interval from here.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    exit_reason: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        UniqueConstraint(
            "contact_id", "journey_id", "entry_number", name="uq_journey_positions_entry"
        ),
        # The workers' claim: due positions in due order.
        Index("ix_journey_positions_status_due_at", "status", "due_at"),
        # Per-tile counts of a journey.
        Index("ix_journey_positions_journey_tile", "journey_id", "tile_id", "status"),
    )


class JourneyStep(Base):
    """What happened to a position at a tile: the history the counts, the contact's
    journey panel and the split readout read."""

    __tablename__ = "journey_steps"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    position_id: Mapped[int] = mapped_column(
        Id, ForeignKey("journey_positions.id", ondelete="CASCADE"), index=True
    )
    journey_id: Mapped[int] = mapped_column(Id, ForeignKey("journeys.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(Id)
    tile_id: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(16))
    branch: Mapped[int | None] = mapped_column(SmallInteger)
    detail: Mapped[str | None] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_journey_steps_journey_tile", "journey_id", "tile_id", "outcome"),)


class JourneySplit(Base):
    """The branch a contact was given at a split tile: kept when it enters again."""

    __tablename__ = "journey_splits"

    journey_id: Mapped[int] = mapped_column(
        Id, ForeignKey("journeys.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[int] = mapped_column(
        Id, ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    tile_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    branch: Mapped[int] = mapped_column(SmallInteger)


class JourneyAccountLead(Base):
    """The one lead an account journey created for an account (REFERENCE 5.2)."""

    __tablename__ = "journey_account_leads"

    journey_id: Mapped[int] = mapped_column(
        Id, ForeignKey("journeys.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(
        Id, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    lead_id: Mapped[int | None] = mapped_column(Id, ForeignKey("leads.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
