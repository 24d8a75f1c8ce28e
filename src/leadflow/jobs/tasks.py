"""Background tasks of jobs: run one job, and the sweep every worker runs each minute."""

from __future__ import annotations

from huey import crontab

from leadflow.jobs.services import RUN_TASK
from leadflow.queue import background


@background(RUN_TASK)
def run_job_task(job_id: int) -> str | None:
    """Run a queued job (or resume a dead worker's); a no-op when another worker holds it."""
    from leadflow.bootstrap import current
    from leadflow.jobs.runner import run_job

    status = run_job(current(), job_id)
    return status.value if status is not None else None


@background("jobs.sweep", schedule=crontab(minute="*"))
def sweep_task() -> dict[str, list[int]]:
    """Resume jobs whose worker died, from their checkpoint; queue lost ones again."""
    from leadflow.bootstrap import current
    from leadflow.jobs.services import sweep_jobs

    with current().uow() as uow:
        swept = sweep_jobs(uow=uow)
        uow.commit()
    return {
        "resumed": swept.resumed,
        "cancelled": swept.cancelled,
        "failed": swept.failed,
        "requeued": swept.requeued,
    }
