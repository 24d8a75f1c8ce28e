"""Reading an import: its row, file, mapping, plan, status, job progress and public form."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.errors import ErrorCode, NotFound, ValidationFailed
from leadflow.imports._engine import Plan
from leadflow.imports.domain import (
    ENTITIES,
    ImportStatus,
    Mapping_,
    parse_mapping,
)
from leadflow.imports.models import Import
from leadflow.imports.reader import FileInfo
from leadflow.jobs.models import Job
from leadflow.registry.domain import Registry

RUN_JOB = "imports.run"
DRY_RUN_JOB = "imports.dry_run"
UNDO_JOB = "imports.undo"
MAX_UPLOAD_BYTES = 2 * 1024**3


def get_import(session: Session, import_id: int) -> Import:
    found = session.get(Import, import_id)
    if found is None:
        raise NotFound(f"No import {import_id}", field="import_id")
    return found


def list_imports(session: Session, limit: int = 50) -> list[Import]:
    return list(session.scalars(select(Import).order_by(Import.id.desc()).limit(limit)))


def file_info(imp: Import) -> FileInfo:
    return FileInfo(imp.format, imp.encoding, imp.delimiter, list(imp.headers))


def mapping_of(imp: Import, registry: Registry) -> Mapping_:
    return parse_mapping(imp.mapping, registry, imp.entity)


def plan_of(imp: Import, registry: Registry) -> Plan:
    options = imp.options or {}
    return Plan(
        import_id=imp.id,
        entity=imp.entity,
        mapping=mapping_of(imp, registry),
        create_contacts=bool(options.get("create_contacts", True)),
        contact_strategy_id=options.get("contact_strategy_id"),
        lead_strategy_id=options.get("lead_strategy_id"),
    )


def status_of(imp: Import, job: Job | None) -> str:
    """The import's status; a running import whose job ended badly shows how."""
    if imp.status == ImportStatus.UNDOING:
        return imp.status
    if (
        imp.status == ImportStatus.RUNNING
        and job is not None
        and job.status
        in (
            "failed",
            "cancelled",
        )
    ):
        return job.status
    return imp.status


def job_progress(session: Session, job_id: int | None) -> dict[str, Any] | None:
    """A job's id, status and progress for the import's page and answers."""
    job = session.get(Job, job_id) if job_id else None
    if job is None:
        return None
    return {
        "id": job.id,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "error": job.error,
    }


def import_public(session: Session, imp: Import) -> dict[str, Any]:
    job = session.get(Job, imp.job_id) if imp.job_id else None
    return {
        "id": imp.id,
        "entity": imp.entity,
        "filename": imp.filename,
        "format": imp.format,
        "encoding": imp.encoding,
        "delimiter": imp.delimiter,
        "size": imp.size,
        "headers": list(imp.headers),
        "mapping": dict(imp.mapping or {}),
        "options": dict(imp.options or {}),
        "status": status_of(imp, job),
        "counts": dict(imp.counts or {}),
        "dry_run": imp.dry_run,
        "undo_report": imp.undo_report,
        "job_id": imp.job_id,
        "dry_run_job": job_progress(session, imp.dry_run_job_id),
        "undo_job": job_progress(session, imp.undo_job_id),
        "done": job.done if job is not None else 0,
        "total": job.total if job is not None else 0,
        "error": job.error if job is not None else None,
        "created_at": imp.created_at.isoformat(),
        "finished_at": imp.finished_at.isoformat() if imp.finished_at else None,
        "undone_at": imp.undone_at.isoformat() if imp.undone_at else None,
    }


def checked_entity(entity: str) -> str:
    if entity not in ENTITIES:
        raise ValidationFailed(
            f"Import contacts, accounts, leads or interactions, not {entity!r}",
            field="entity",
            code=ErrorCode.NOT_A_CHOICE,
        )
    return entity
