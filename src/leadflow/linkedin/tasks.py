"""Background work of LinkedIn: the sync job kind, the notified-response fetch, the
periodic pull every 15 minutes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from huey import crontab

from leadflow.jobs.kinds import job_kind
from leadflow.linkedin.services import FETCH_TASK, SYNC_JOB, fetch_notified, run_sync
from leadflow.queue import background
from leadflow.users.domain import Permission

if TYPE_CHECKING:
    from leadflow.jobs.runner import JobContext


@job_kind(SYNC_JOB, permission=Permission.LINKEDIN_ADMIN, label="LinkedIn lead sync")
def sync_job(context: JobContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """Read a connection's Lead Gen Form responses (backfill or pull), page by page."""
    return run_sync(context, params)


@background(FETCH_TASK)
def fetch_response_task(connection_id: int, response_id: str) -> str:
    """Fetch and store the response a webhook notified; idempotent on the response id."""
    from leadflow.bootstrap import current

    return fetch_notified(current(), connection_id, response_id)


@background("linkedin.pull", schedule=crontab(minute="*/15"))
def periodic_pull() -> list[int]:
    """Pull every connection over an overlapping window: a missed notification loses nothing."""
    from leadflow.bootstrap import current
    from leadflow.linkedin.services import start_due_pulls

    with current().uow() as uow:
        started = start_due_pulls(uow=uow)
        uow.commit()
    return started
