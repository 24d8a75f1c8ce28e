"""Undo: removing what an import created and restoring what it changed, if nobody has since."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import case, delete, exists, func, select
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import Conflict, ErrorCode, NotFound
from leadflow.imports.domain import (
    ImportStatus,
    Outcome,
)
from leadflow.imports.models import Import, ImportChange, ImportRowError
from leadflow.imports.services._records import UNDO_JOB, get_import, status_of
from leadflow.jobs.models import Job
from leadflow.jobs.services import start_job
from leadflow.lib.clock import utcnow


def undo_import(import_id: int, *, uow: UnitOfWork) -> dict[str, Any]:
    """Remove what the import created and restore what it changed, where nobody has
    changed it since (those fields are reported and left alone)."""
    from leadflow.imports._undo import undo_changes

    session = uow.session
    imp = session.get(Import, import_id, with_for_update=True)
    if imp is None:
        raise NotFound(f"No import {import_id}", field="import_id")
    job = session.get(Job, imp.job_id) if imp.job_id else None
    status = status_of(imp, job)
    if status not in (ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.CANCELLED):
        raise Conflict(
            f"Only an import that has ended can be undone (this one is {status})",
            field="status",
            code=ErrorCode.IMPORT_NOT_ENDED,
        )
    report = undo_changes(uow, import_id)
    imp.status = ImportStatus.UNDONE.value
    imp.undone_at = utcnow()
    imp.undo_report = report
    session.flush()
    return report


do_undo_import = in_own_transaction(undo_import)


def start_undo(import_id: int, *, uow: UnitOfWork, requested_by: int | None = None) -> Job:
    """Start undoing an ended import as a job; an undo that failed or was cancelled
    may be started again (it picks up what is left)."""
    session = uow.session
    imp = session.get(Import, import_id, with_for_update=True)
    if imp is None:
        raise NotFound(f"No import {import_id}", field="import_id")
    status = status_of(imp, session.get(Job, imp.job_id) if imp.job_id else None)
    undo_job = session.get(Job, imp.undo_job_id) if imp.undo_job_id else None
    again = (
        status == ImportStatus.UNDOING
        and undo_job is not None
        and undo_job.status in ("failed", "cancelled")
    )
    if not again and status not in (
        ImportStatus.DONE,
        ImportStatus.FAILED,
        ImportStatus.CANCELLED,
    ):
        raise Conflict(
            f"Only an import that has ended can be undone (this one is {status})",
            field="status",
            code=ErrorCode.IMPORT_NOT_ENDED,
        )
    params: dict[str, Any] = {"import_id": imp.id, "entity": imp.entity, "filename": imp.filename}
    if again and undo_job is not None and undo_job.checkpoint:
        # The stopped undo's cursor and report: the new job carries on from there.
        params["continue"] = undo_job.checkpoint
    job = start_job(UNDO_JOB, params, uow=uow, requested_by=requested_by)
    imp.status = ImportStatus.UNDOING.value
    imp.undo_job_id = job.id
    session.flush()
    return job


do_start_undo = in_own_transaction(start_undo)


def change_count(session: Session, import_id: int) -> int:
    """How many records the import's change records name (an undo's progress total):
    a chunk's created records by their span of ids, as `undo_page` counts them."""
    span = case(
        (ImportChange.last_record_id.is_(None), 1),
        else_=ImportChange.last_record_id - ImportChange.record_id + 1,
    )
    return int(
        session.scalar(select(func.sum(span)).where(ImportChange.import_id == import_id)) or 0
    )


def finish_undo(import_id: int, report: Mapping[str, Any], *, uow: UnitOfWork) -> None:
    imp = get_import(uow.session, import_id)
    imp.status = ImportStatus.UNDONE.value
    imp.undone_at = utcnow()
    imp.undo_report = dict(report)
    uow.session.flush()


def has_changes(session: Session, import_id: int) -> bool:
    return bool(session.scalar(select(exists().where(ImportChange.import_id == import_id))))


def delete_import_records(session: Session, import_id: int) -> None:
    """Forget an import's change and error records (tests, retention)."""
    session.execute(delete(ImportChange).where(ImportChange.import_id == import_id))
    session.execute(delete(ImportRowError).where(ImportRowError.import_id == import_id))


OUTCOMES = [item.value for item in Outcome]
