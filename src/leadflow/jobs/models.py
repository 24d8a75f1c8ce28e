"""The one table of background jobs: what runs, for whom, how far it got, how it ended."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.base import Base, Id, JsonData, UTCDateTime
from leadflow.lib.clock import utcnow


class Job(Base):
    """One run of a job kind (a full rescore, an orphan backfill, an import).

    `attempts` counts claims: a worker writes progress only while the row still
    carries the attempt it claimed, so a worker the sweep gave up on cannot
    overwrite the one that resumed the job.
    """

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    params: Mapped[dict[str, Any]] = mapped_column(JsonData, default=dict)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    # Where a resumed run continues: the kind's own cursor, saved with each batch.
    checkpoint: Mapped[Any | None] = mapped_column(JsonData)
    result: Mapped[dict[str, Any] | None] = mapped_column(JsonData)
    error: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[int | None] = mapped_column(
        Id, ForeignKey("users.id", ondelete="SET NULL")
    )
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last sign of life: the runner's beat while running; the last time the
    # sweep queued it again while it waits.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_jobs_kind_id", "kind", "id"),
        Index("ix_jobs_status_heartbeat_at", "status", "heartbeat_at"),
    )
