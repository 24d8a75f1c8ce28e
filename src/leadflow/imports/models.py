"""Tables of file imports: the import, its saved mappings, its change and error records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.base import Base, Id, JsonData, UTCDateTime
from leadflow.lib.clock import utcnow


class Import(Base):
    """One uploaded file and what became of it.

    `mapping` is {column header: {"field": registry name, "mode": write mode}};
    `options` holds the per-import switches (create contacts for leads, strategies).
    `counts` are the outcome counts of the run so far (committed with each chunk).
    """

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    entity: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(300))
    path: Mapped[str] = mapped_column(String(1000))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(default=0)
    format: Mapped[str] = mapped_column(String(8))
    encoding: Mapped[str | None] = mapped_column(String(32))
    delimiter: Mapped[str | None] = mapped_column(String(4))
    headers: Mapped[list[str]] = mapped_column(JsonData, default=list)
    mapping: Mapped[dict[str, Any]] = mapped_column(JsonData, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(JsonData, default=dict)
    # uploaded -> running -> done | failed | cancelled; done -> undone
    status: Mapped[str] = mapped_column(String(16), default="uploaded")
    counts: Mapped[dict[str, int]] = mapped_column(JsonData, default=dict)
    dry_run: Mapped[dict[str, Any] | None] = mapped_column(JsonData)
    undo_report: Mapped[dict[str, Any] | None] = mapped_column(JsonData)
    job_id: Mapped[int | None] = mapped_column(Id)
    # The jobs of the latest dry run and of the undo (both run as jobs).
    dry_run_job_id: Mapped[int | None] = mapped_column(Id)
    undo_job_id: Mapped[int | None] = mapped_column(Id)
    created_by: Mapped[int | None] = mapped_column(Id, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ImportMapping(Base):
    """A mapping saved by name, reusable for the next file of the same shape."""

    __tablename__ = "import_mappings"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    entity: Mapped[str] = mapped_column(String(16))
    mapping: Mapped[dict[str, Any]] = mapped_column(JsonData, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("entity", "name"),)


class ImportChange(Base):
    """What one good row did to one record (created it, or changed these fields), or
    which records one chunk created.

    An update's `before` holds the fields' values before the import, `after` what it
    wrote: undo restores `before` where the record still holds `after`. A chunk's
    created records are one row (a few thousand rows' records were as many rows, a
    third of what an import wrote): `record_id` to `last_record_id` spans their ids,
    `after` holds which id came from which line (`domain.created_runs`).
    """

    __tablename__ = "import_changes"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    import_id: Mapped[int] = mapped_column(Id, ForeignKey("imports.id", ondelete="CASCADE"))
    line: Mapped[int]
    entity: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[int] = mapped_column(Id)
    # Set on a chunk's created records only (see above).
    last_record_id: Mapped[int | None] = mapped_column(Id)
    # "created" or "updated"
    action: Mapped[str] = mapped_column(String(16))
    before: Mapped[dict[str, Any] | None] = mapped_column(JsonData)
    after: Mapped[dict[str, Any] | None] = mapped_column(JsonData)

    __table_args__ = (
        Index("ix_import_changes_import_id_entity_record_id", "import_id", "entity", "record_id"),
    )


class ImportRowError(Base):
    """A bad row (or a bad cell of one): reported in the error file, never written."""

    __tablename__ = "import_errors"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    import_id: Mapped[int] = mapped_column(Id, ForeignKey("imports.id", ondelete="CASCADE"))
    line: Mapped[int]
    column: Mapped[str | None] = mapped_column(String(300))
    code: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    row: Mapped[list[Any]] = mapped_column(JsonData, default=list)

    __table_args__ = (Index("ix_import_errors_import_id_line", "import_id", "line"),)
