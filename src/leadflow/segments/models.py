"""Tables of segments: the segment, its published versions, and its memberships."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.base import Base, Id, JsonData, UTCDateTime
from leadflow.lib.clock import utcnow


class Segment(Base):
    """A named audience of contacts: dynamic (a query), static (picked) or compound
    (live segments combined). `definition` is the tree being edited; the live one is
    the version `version` in segment_versions."""

    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16), default="dynamic")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    # 0 while never live; bumped by each go-live and each edit of a live definition.
    version: Mapped[int] = mapped_column(Integer, default=0)
    definition: Mapped[dict[str, Any]] = mapped_column(JsonData, default=dict)
    # Compound segments: [{"segment_id": 3, "op": "union"|"intersect"|"exclude"}, ...]
    parts: Mapped[list[Any]] = mapped_column(JsonData, default=list)
    # Set when the definition reads moving windows: the sweep re-checks these.
    time_relative: Mapped[bool] = mapped_column(default=False)
    went_live_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    built_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rechecked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(Id, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_segments_status_kind", "status", "kind"),)


class SegmentVersion(Base):
    """One published definition of a segment (what a membership's `version` names)."""

    __tablename__ = "segment_versions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    segment_id: Mapped[int] = mapped_column(Id, ForeignKey("segments.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JsonData, default=dict)
    parts: Mapped[list[Any]] = mapped_column(JsonData, default=list)
    created_by: Mapped[int | None] = mapped_column(Id, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("segment_id", "version"),)


class SegmentMembership(Base):
    """One stay of a contact in a segment: entered, left (None while in), under which
    version, and why (`reason`: the top-level block that admitted it, or "added by
    hand"). A contact that leaves and comes back gets a new row: the rows are the
    history."""

    __tablename__ = "segment_memberships"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    segment_id: Mapped[int] = mapped_column(Id, ForeignKey("segments.id", ondelete="CASCADE"))
    # No foreign key: a contact's delete leaves its stays to the segments' handler, which
    # publishes the exits of the open ones (ContactsLeftSegment), then deletes them (a cascade would
    # drop them without a word).
    contact_id: Mapped[int] = mapped_column(Id)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=0)
    # The index of the top-level block that admitted the contact; -1: added by hand.
    block: Mapped[int] = mapped_column(Integer, default=0)
    # Why it left: "no longer matches", "removed by hand", "segment stopped"...
    left_reason: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        # At most one open stay per contact and segment.
        Index(
            "uq_segment_memberships_open",
            "segment_id",
            "contact_id",
            unique=True,
            sqlite_where=text("left_at IS NULL"),
            postgresql_where=text("left_at IS NULL"),
        ),
        Index("ix_segment_memberships_contact_id_left_at", "contact_id", "left_at"),
        Index("ix_segment_memberships_segment_id_entered_at", "segment_id", "entered_at"),
    )
