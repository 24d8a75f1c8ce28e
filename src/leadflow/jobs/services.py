"""Use cases of jobs: start one (queued after the commit), cancel it, read them, sweep.

Starting a job is always a service writing the row in the caller's unit of
work; the `jobs.run` task is queued by that unit's after-commit hook, so a
worker never looks for a row that is not committed, and a job whose start
was rolled back is never queued. Faces call these and render.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.errors import Conflict, ErrorCode, NotFound, PermissionDenied, ValidationFailed
from leadflow.jobs.domain import (
    MAX_ATTEMPTS,
    JobStatus,
    may_manage,
    percent,
    requeue_before,
    stale_before,
)
from leadflow.jobs.events import JobFinished
from leadflow.jobs.kinds import KINDS, kind_of, kinds_for, label_of
from leadflow.jobs.models import Job
from leadflow.lib.clock import utcnow
from leadflow.users.domain import Role

RUN_TASK = "jobs.run"
MAX_LIST = 200


def start_job(
    kind: str,
    params: Mapping[str, Any] | None = None,
    *,
    uow: UnitOfWork,
    requested_by: int | None = None,
) -> Job:
    """Insert a queued job of `kind`; it is queued for a worker once `uow` commits."""
    kind_of(kind)
    job = Job(
        kind=kind,
        status=JobStatus.QUEUED.value,
        params=dict(params or {}),
        done=0,
        total=0,
        requested_by=requested_by,
        cancel_requested=False,
        attempts=0,
        created_at=utcnow(),
    )
    uow.session.add(job)
    uow.session.flush()
    uow.enqueue_after_commit(RUN_TASK, job.id)
    return job


def _check_role(job: Job, role: Role | None) -> None:
    """None is the system (the CLI, a worker); a role must hold the kind's permission."""
    if role is None or role is Role.ADMIN:
        return
    kind = KINDS.get(job.kind)
    if kind is None or not may_manage(role, kind.permission):
        raise PermissionDenied(f"The {role} role may not see or cancel {job.kind} jobs")


def find_job(session: Session, job_id: int) -> Job | None:
    return session.get(Job, job_id)


def get_job(session: Session, job_id: int, *, role: Role | None = None) -> Job:
    """The job, if `role` may see it (None: the system)."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"No job {job_id}", field="job_id")
    _check_role(job, role)
    return job


def cancel_job(job_id: int, *, uow: UnitOfWork, role: Role | None = None) -> Job:
    """Ask a job to stop: a queued one is cancelled at once, a running one at its next
    check (`JobContext.raise_if_cancelled`); an ended one cannot be cancelled."""
    job = uow.session.get(Job, job_id, with_for_update=True)
    if job is None:
        raise NotFound(f"No job {job_id}", field="job_id")
    _check_role(job, role)
    status = JobStatus(job.status)
    if status.finished:
        raise Conflict(
            f"Job {job_id} has already ended ({status})", field="status", code=ErrorCode.JOB_ENDED
        )
    job.cancel_requested = True
    if status is JobStatus.QUEUED:
        job.status = JobStatus.CANCELLED.value
        job.finished_at = utcnow()
        uow.publish(JobFinished(job_id=job.id, kind=job.kind, status=job.status))
    uow.session.flush()
    return job


do_cancel_job = in_own_transaction(cancel_job)


def list_jobs(
    session: Session,
    *,
    role: Role | None = None,
    kind: str | None = None,
    status: str | None = None,
    limit: int = 50,
) -> list[Job]:
    """The latest jobs first, of the kinds `role` may see (all for the system)."""
    if not 1 <= limit <= MAX_LIST:
        raise ValidationFailed(
            f"limit must be between 1 and {MAX_LIST}", field="limit", code=ErrorCode.OUT_OF_RANGE
        )
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if kind:
        definition = kind_of(kind)
        if role is not None and not may_manage(role, definition.permission):
            raise PermissionDenied(f"The {role} role may not see {kind} jobs")
        query = query.where(Job.kind == kind)
    elif role is not None and role is not Role.ADMIN:
        query = query.where(Job.kind.in_([item.name for item in kinds_for(role)]))
    if status:
        try:
            query = query.where(Job.status == JobStatus(status).value)
        except ValueError:
            allowed = ", ".join(item.value for item in JobStatus)
            raise ValidationFailed(
                f"status is one of {allowed}", field="status", code=ErrorCode.NOT_A_CHOICE
            ) from None
    return list(session.scalars(query))


def latest_job(session: Session, kind: str, **params: int | str) -> Job | None:
    """The newest job of `kind` whose params carry these values (a model's last rescore)."""
    query = select(Job).where(Job.kind == kind)
    for name, value in params.items():
        path = Job.params[name]
        query = query.where(
            path.as_integer() == value if isinstance(value, int) else path.as_string() == value
        )
    return session.scalar(query.order_by(Job.id.desc()).limit(1))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def job_public(job: Job) -> dict[str, Any]:
    """The job as the API, the job page and `leadflow jobs show` show it."""
    return {
        "id": job.id,
        "kind": job.kind,
        "label": label_of(job.kind),
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "percent": percent(job.done, job.total),
        "params": dict(job.params or {}),
        "result": job.result,
        "error": job.error,
        "requested_by": job.requested_by,
        "cancel_requested": job.cancel_requested,
        "attempts": job.attempts,
        "created_at": job.created_at.isoformat(),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
        "heartbeat_at": _iso(job.heartbeat_at),
    }


@dataclass(frozen=True)
class Sweep:
    """What one sweep did: jobs resumed, cancelled while their worker was dead, given up
    on after MAX_ATTEMPTS, queued again."""

    resumed: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    requeued: list[int] = field(default_factory=list)


def sweep_jobs(*, uow: UnitOfWork, now: datetime | None = None) -> Sweep:
    """Every worker runs this each minute: a running job whose heartbeat is stale
    (its worker died) is queued again and resumes from its checkpoint, ends
    cancelled if that was asked, or fails once its workers died MAX_ATTEMPTS
    times; a queued job nobody claimed is queued again."""
    now = now or utcnow()
    stale = and_(Job.status == JobStatus.RUNNING.value, Job.heartbeat_at < stale_before(now))
    cancelled = _end_stale(
        uow, and_(stale, Job.cancel_requested.is_(True)), JobStatus.CANCELLED, now=now
    )
    failed = _end_stale(
        uow,
        and_(stale, Job.cancel_requested.is_(False), Job.attempts >= MAX_ATTEMPTS),
        JobStatus.FAILED,
        now=now,
        error=f"Its worker stopped {MAX_ATTEMPTS} times; the job is not resumed again",
    )
    resumed = list(
        uow.session.scalars(
            select(Job.id)
            .where(stale, Job.cancel_requested.is_(False), Job.attempts < MAX_ATTEMPTS)
            .order_by(Job.id)
        )
    )
    # Nudged at most once per REQUEUE_AFTER: the heartbeat of a queued job is its last nudge.
    requeued = list(
        uow.session.scalars(
            update(Job)
            .where(
                Job.status == JobStatus.QUEUED.value,
                Job.cancel_requested.is_(False),
                func.coalesce(Job.heartbeat_at, Job.created_at) < requeue_before(now),
            )
            .values(heartbeat_at=now)
            .returning(Job.id)
            .execution_options(synchronize_session=False)
        )
    )
    for job_id in [*resumed, *requeued]:
        uow.enqueue_after_commit(RUN_TASK, job_id)
    return Sweep(resumed=resumed, cancelled=cancelled, failed=failed, requeued=sorted(requeued))


def _end_stale(
    uow: UnitOfWork, where: Any, status: JobStatus, *, now: datetime, error: str | None = None
) -> list[int]:
    values: dict[str, Any] = {"status": status.value, "finished_at": now}
    if error is not None:
        values["error"] = error
    ended = uow.session.execute(
        update(Job)
        .where(where)
        .values(**values)
        .returning(Job.id, Job.kind)
        .execution_options(synchronize_session=False)
    ).all()
    for job_id, kind in ended:
        uow.publish(JobFinished(job_id=job_id, kind=kind, status=status.value))
    return sorted(job_id for job_id, _ in ended)
