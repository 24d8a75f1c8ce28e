"""Background work of LinkedIn: the sync job kind, the notified-response fetch, the
periodic pull every 15 minutes.

The tasks are bound to the process's queue by LinkedIn's wiring, which hands them the
dependencies they need."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from huey import crontab

from leadflow.db.uow import UnitOfWork
from leadflow.dependencies import Dependencies
from leadflow.jobs.kinds import job_kind
from leadflow.linkedin.services import (
    FETCH_TASK,
    SYNC_JOB,
    fetch_notified,
    run_sync,
    start_due_pulls,
)
from leadflow.queue import TaskQueue
from leadflow.users.domain import Permission

if TYPE_CHECKING:
    from leadflow.jobs.runner import JobContext

PULL_TASK = "linkedin.pull"


@job_kind(SYNC_JOB, permission=Permission.LINKEDIN_ADMIN, label="LinkedIn lead sync")
def sync_job(context: JobContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """Read a connection's Lead Gen Form responses (backfill or pull), page by page."""
    return run_sync(context, params)


def periodic_pull(uow: Callable[[], UnitOfWork]) -> list[int]:
    """Pull every connection over an overlapping window: a missed notification loses nothing."""
    with uow() as unit:
        started = start_due_pulls(uow=unit)
        unit.commit()
    return started


def bind_tasks(queue: TaskQueue, dependencies: Dependencies) -> None:
    """LinkedIn's tasks on `queue`: the fetch a webhook asks for, the pull every 15 minutes."""

    def fetch_response_task(connection_id: int, response_id: str) -> str:
        """Fetch and store the response a webhook notified; idempotent on the response id."""
        return fetch_notified(dependencies, connection_id, response_id)

    def periodic_pull_task() -> list[int]:
        return periodic_pull(dependencies.uow)

    queue.bind(FETCH_TASK, fetch_response_task)
    queue.bind(PULL_TASK, periodic_pull_task, schedule=crontab(minute="*/15"))
