"""The API edge of imports: bodies and answers."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ColumnTarget(BaseModel):
    field: str = Field(description="The registry field (or @account_name / @account_domain)")
    mode: str = Field("overwrite", description="overwrite, fill (only if empty) or never")


class ImportOptions(BaseModel):
    create_contacts: bool = Field(True, description="Leads: create missing contacts")
    contact_strategy_id: int | None = None
    lead_strategy_id: int | None = None


class MappingIn(BaseModel):
    mapping: dict[str, ColumnTarget | str] = Field(description="column header -> field")
    options: ImportOptions | None = None


class SavedMappingIn(BaseModel):
    name: str
    entity: str
    mapping: dict[str, ColumnTarget | str]


class SavedMappingOut(BaseModel):
    id: int
    name: str
    entity: str
    mapping: dict[str, Any]


class JobProgress(BaseModel):
    id: int
    status: str
    done: int
    total: int
    error: str | None


class ImportOut(BaseModel):
    id: int
    entity: str
    filename: str
    format: str
    encoding: str | None
    delimiter: str | None
    size: int
    headers: list[str]
    mapping: dict[str, Any]
    options: dict[str, Any]
    status: str
    counts: dict[str, int]
    dry_run: dict[str, Any] | None
    undo_report: dict[str, Any] | None
    job_id: int | None
    dry_run_job: JobProgress | None = Field(None, description="The latest dry run's job")
    undo_job: JobProgress | None = Field(None, description="The undo's job")
    done: int
    total: int
    error: str | None
    created_at: str
    finished_at: str | None
    undone_at: str | None


class ImportList(BaseModel):
    items: list[ImportOut]


class DryRunRow(BaseModel):
    line: int
    outcome: str
    record_id: int | None
    changed: list[str]
    column: str | None
    code: str | None
    message: str | None


class DryRunOut(BaseModel):
    counts: dict[str, int]
    rows: list[DryRunRow]


class UndoOut(BaseModel):
    deleted: int
    restored: int
    kept: list[dict[str, Any]] = Field(description="The first 1,000 things left alone")
    kept_count: int = 0
