"""Tables of the process capability: definitions (versioned), instances, transitions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.base import Base, Id, JsonData, UTCDateTime
from leadflow.lib.clock import utcnow


class ProcessDefinitionRow(Base):
    """One version of a definition; the highest version of a key is the one in force."""

    __tablename__ = "process_definitions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    entity: Mapped[str] = mapped_column(String(32), default="lead")
    body: Mapped[dict[str, Any]] = mapped_column(JsonData)
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("key", "version"),)


class ProcessInstance(Base):
    """A lead's run through one process; a lead has at most one active instance."""

    __tablename__ = "process_instances"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    lead_id: Mapped[int] = mapped_column(Id, ForeignKey("leads.id", ondelete="CASCADE"))
    process_key: Mapped[str] = mapped_column(String(64))
    process_version: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="active")
    # The instance shown and moved; switching process keeps the others' state.
    current: Mapped[bool] = mapped_column(default=True)
    entered_stage_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("lead_id", "process_key"),
        Index("ix_process_instances_stage_status", "process_key", "stage", "status"),
    )


class StageTransition(Base):
    """Every move of an instance: the lead's timeline."""

    __tablename__ = "process_transitions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        Id, ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    lead_id: Mapped[int] = mapped_column(Id, ForeignKey("leads.id", ondelete="CASCADE"))
    process_key: Mapped[str] = mapped_column(String(64))
    from_stage: Mapped[str | None] = mapped_column(String(64))
    to_stage: Mapped[str | None] = mapped_column(String(64))
    actor_user_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("users.id", ondelete="SET NULL")
    )
    rule: Mapped[str | None] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(Text, default="")
    # How long the instance stood in `from_stage` before this move.
    seconds_in_from: Mapped[int | None] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_process_transitions_lead_occurred", "lead_id", "occurred_at"),
        Index("ix_process_transitions_to_occurred", "to_stage", "occurred_at"),
    )
