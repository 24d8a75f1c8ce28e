"""Background tasks of jobs: run one job, and the sweep every worker runs each minute.

Bound to the process's queue by jobs' wiring, which hands them the dependencies
a job runs with.
"""

from __future__ import annotations

from huey import crontab

from leadflow.dependencies import Dependencies
from leadflow.jobs.runner import run_job
from leadflow.jobs.services import RUN_TASK, sweep_jobs

SWEEP_TASK = "jobs.sweep"


def bind_tasks(dependencies: Dependencies) -> None:
    """The jobs' tasks on the dependencies' queue; the sweep runs every minute."""

    def run_job_task(job_id: int) -> str | None:
        """Run a queued job (or resume a dead worker's); a no-op when another worker holds it."""
        status = run_job(dependencies, job_id)
        return status.value if status is not None else None

    def sweep_task() -> dict[str, list[int]]:
        """Resume jobs whose worker died, from their checkpoint; queue lost ones again."""
        with dependencies.uow() as uow:
            swept = sweep_jobs(uow=uow)
            uow.commit()
        return {
            "resumed": swept.resumed,
            "cancelled": swept.cancelled,
            "failed": swept.failed,
            "requeued": swept.requeued,
        }

    dependencies.queue.bind(RUN_TASK, run_job_task)
    dependencies.queue.bind(SWEEP_TASK, sweep_task, schedule=crontab(minute="*"))
