"""Running a job: claim it, beat while it runs, record how it ended.

The claim is one conditional UPDATE (queued, or running with a stale
heartbeat, becomes running with the next attempt number), so two workers
never run one job: the second one's UPDATE matches no row. Everything the
runner and the job write afterwards is fenced by that attempt number: once
the sweep has handed a dead worker's job to another, the first worker's
writes match nothing and it stops (`JobSuperseded`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, literal, or_, update

from leadflow.db.base import UTCDateTime
from leadflow.db.group_commit import committing_alone
from leadflow.errors import NotFound
from leadflow.jobs.context import Claim, Progress, write_fenced

# Kinds and tasks type their context with it, as they did when it was defined here.
from leadflow.jobs.context import JobContext as JobContext
from leadflow.jobs.domain import (
    HEARTBEAT_EVERY,
    MAX_ATTEMPTS,
    JobStatus,
    error_text,
    stale_before,
)
from leadflow.jobs.errors import JobCancelled, JobSuperseded, UnknownJobKind
from leadflow.jobs.events import JobFinished
from leadflow.jobs.kinds import KINDS
from leadflow.jobs.models import Job
from leadflow.lib.clock import utcnow

if TYPE_CHECKING:
    from leadflow.dependencies import Dependencies

logger = logging.getLogger(__name__)


def claim_job(container: Dependencies, job_id: int, *, now: datetime | None = None) -> Claim | None:
    """Take a queued job, or a running one whose worker died; None when it is not ours."""
    now = now or utcnow()
    claimable = and_(
        Job.id == job_id,
        Job.cancel_requested.is_(False),
        or_(
            Job.status == JobStatus.QUEUED.value,
            and_(
                Job.status == JobStatus.RUNNING.value,
                Job.heartbeat_at < stale_before(now),
                Job.attempts < MAX_ATTEMPTS,
            ),
        ),
    )
    with container.uow() as uow:
        row = uow.session.execute(
            update(Job)
            .where(claimable)
            .values(
                status=JobStatus.RUNNING.value,
                attempts=Job.attempts + 1,
                # The first start is kept: a resumed run only moves the heartbeat.
                started_at=func.coalesce(Job.started_at, literal(now, UTCDateTime())),
                heartbeat_at=now,
            )
            .returning(Job.attempts, Job.kind, Job.params, Job.checkpoint, Job.done, Job.total)
            .execution_options(synchronize_session=False)
        ).first()
        uow.commit()
    if row is None:
        return None
    return Claim(
        job_id, row.attempts, row.kind, row.params or {}, row.checkpoint, row.done, row.total
    )


class _Heartbeat:
    """Writes the job's heartbeat every few seconds from a thread of its own, so a
    long batch does not look like a dead worker."""

    def __init__(self, container: Dependencies, claim: Claim, lost: threading.Event, every: float):
        self._container = container
        self._claim = claim
        self._lost = lost
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"leadflow-job-{claim.job_id}-heartbeat", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self._every + 5)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                with self._container.uow() as uow:
                    alive = write_fenced(uow.session, self._claim, {})
                    uow.commit()
            except Exception:  # a missed beat is not fatal; the next one may land
                logger.warning("job %s: heartbeat failed", self._claim.job_id, exc_info=True)
                continue
            if not alive:
                self._lost.set()
                return


def _finish(
    container: Dependencies,
    claim: Claim,
    status: JobStatus,
    *,
    result: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> bool:
    now = utcnow()
    values: dict[str, Any] = {"status": status.value, "finished_at": now}
    if result is not None:
        values["result"] = dict(result)
    if error is not None:
        values["error"] = error
    with container.uow() as uow:
        if not write_fenced(uow.session, claim, values):
            return False
        uow.publish(JobFinished(job_id=claim.job_id, kind=claim.kind, status=status.value))
        uow.commit()
    return True


def _json_result(result: Mapping[str, Any] | None) -> dict[str, Any]:
    summary = dict(result or {})
    # A result the column cannot store fails the job here, not the worker at the finish.
    json.dumps(summary)
    return summary


def run_job(
    container: Dependencies,
    job_id: int,
    *,
    on_progress: Progress | None = None,
    heartbeat_every: timedelta = HEARTBEAT_EVERY,
) -> JobStatus | None:
    """Claim the job and run it here; returns how it ended, or None when another
    worker holds it (or it has ended already)."""
    claim = claim_job(container, job_id)
    if claim is None:
        return None
    lost = threading.Event()
    context = JobContext(container, claim, on_progress, lost)
    heartbeat = _Heartbeat(container, claim, lost, heartbeat_every.total_seconds())
    heartbeat.start()
    try:
        kind = KINDS.get(claim.kind)
        if kind is None:
            raise UnknownJobKind(f"There is no job kind '{claim.kind}'", field="kind")
        # A job's units are long: in a group they would hold back the COMMIT of the
        # requests' units that joined it before them.
        with committing_alone():
            result = _json_result(kind.run(context, claim.params))
    except JobCancelled:
        status = JobStatus.CANCELLED
        finished = _finish(container, claim, status)
    except JobSuperseded:
        logger.warning("job %s: another worker resumed it; this run stops", job_id)
        return None
    except Exception as exc:
        logger.exception("job %s (%s) failed", job_id, claim.kind)
        status = JobStatus.FAILED
        finished = _finish(container, claim, status, error=error_text(exc))
    else:
        status = JobStatus.SUCCEEDED
        finished = _finish(container, claim, status, result=result)
    finally:
        heartbeat.stop()
    return status if finished else None


def read_job(container: Dependencies, job_id: int) -> Job:
    """The job's row as it is now (detached)."""
    with container.read_session() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise NotFound(f"No job {job_id}", field="job_id")
        session.expunge(job)
        return job


def run_or_wait(
    container: Dependencies,
    job_id: int,
    *,
    on_progress: Progress | None = None,
    poll: float = 0.5,
) -> Job:
    """Run the job here if no worker has it, else follow it; returns the ended row.

    The CLI and the demo use it: with no worker running the job still runs,
    and with one the job is never run twice. A worker that dies mid-run is
    replaced here once its heartbeat is stale.
    """
    while True:
        job = read_job(container, job_id)
        status = JobStatus(job.status)
        if status.finished:
            if on_progress is not None:
                on_progress(job.done, job.total)
            return job
        heartbeat = job.heartbeat_at
        stale = heartbeat is None or heartbeat < stale_before(utcnow())
        if status is JobStatus.QUEUED or stale:
            if run_job(container, job_id, on_progress=on_progress) is not None:
                continue
        elif on_progress is not None:
            on_progress(job.done, job.total)
        time.sleep(poll)
