"""Background jobs of automation."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from leadflow.automation.models import BackgroundJob
from leadflow.db.uow import UnitOfWork
from leadflow.errors import NotFound
from leadflow.lib.clock import utcnow
from leadflow.queue import background


@background("automation.backfill_orphans")
def backfill_orphans_task(job_id: int) -> None:
    from leadflow.automation.orphans import backfill_orphans
    from leadflow.bootstrap import current

    container = current()
    try:
        backfill_orphans(container, job_id=job_id)
    except Exception as exc:
        with container.uow() as uow:
            job = uow.session.get(BackgroundJob, job_id)
            if job is not None:
                job.status, job.message, job.finished_at = "failed", str(exc)[:2000], utcnow()
                uow.commit()
        raise


def start_job(kind: str, *, uow: UnitOfWork) -> BackgroundJob:
    job = BackgroundJob(kind=kind, status="queued", created_at=utcnow())
    uow.session.add(job)
    uow.session.flush()
    return job


def get_job(session: Session, job_id: int) -> BackgroundJob:
    job = session.get(BackgroundJob, job_id)
    if job is None:
        raise NotFound(f"No job with id {job_id}", field="id")
    return job


def job_public(job: BackgroundJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "message": job.message,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }
