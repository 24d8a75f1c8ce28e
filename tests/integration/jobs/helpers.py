"""Helpers of the jobs tests: start jobs, write rows as a dead worker left them, read them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update

from leadflow.bootstrap import Container
from leadflow.jobs.models import Job
from leadflow.jobs.runner import read_job
from leadflow.jobs.services import start_job
from leadflow.lib.clock import utcnow
from tests.support.job_kinds import STEPS


def start(container: Container, kind: str = STEPS, **params: Any) -> int:
    """Start a job and commit: on the test queue it runs right after the commit."""
    with container.uow() as uow:
        job = start_job(kind, params, uow=uow)
        uow.commit()
        return job.id


def left_by_dead_worker(
    container: Container, job_id: int, *, checkpoint: Any, done: int, total: int, **values: Any
) -> None:
    """Make the job look like a worker died running it ten minutes ago."""
    long_ago = utcnow() - timedelta(minutes=10)
    with container.uow() as uow:
        uow.session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(
                status="running",
                attempts=1,
                started_at=long_ago,
                heartbeat_at=long_ago,
                checkpoint=checkpoint,
                done=done,
                total=total,
                **values,
            )
        )
        uow.commit()


def job(container: Container, job_id: int) -> Job:
    return read_job(container, job_id)
