"""Background work of scoring: the full-rescore job kind, the nightly rescore, the weekly
predictive retraining.

The scheduled tasks are bound to the process's queue by scoring's wiring, which hands
them the unit of work they need."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from huey import crontab

from leadflow.db.uow import UnitOfWork
from leadflow.errors import ValidationFailed
from leadflow.jobs.kinds import job_kind
from leadflow.queue import TaskQueue
from leadflow.scoring.services import RESCORE_JOB, run_rescore, start_rescore
from leadflow.users.domain import Permission

if TYPE_CHECKING:
    from leadflow.jobs.runner import JobContext

logger = logging.getLogger(__name__)

DAILY_RESCORE = "scoring.daily"
WEEKLY_PREDICTIVE = "scoring.predictive_weekly"


@job_kind(RESCORE_JOB, permission=Permission.SCORING_ADMIN, label="Full rescore")
def rescore_job(context: JobContext, params: Mapping[str, Any]) -> dict[str, int]:
    """Recompute every lead's score under the live models (or one), range by range."""
    return run_rescore(context, params)


def daily_rescore(uow: Callable[[], UnitOfWork]) -> int:
    """Start the nightly full rescore of every live model; returns the job id."""
    with uow() as unit:
        job = start_rescore(None, uow=unit)
        unit.commit()
        return job.id


def weekly_predictive(uow: Callable[[], UnitOfWork]) -> int | None:
    """Retrain the predictive score each week; with too few closed leads it waits a week."""
    # Imported here: scikit-learn is slow to load, and only this task and its pages need it.
    from leadflow.scoring.predict import train_predictive

    with uow() as unit:
        try:
            run = train_predictive(uow=unit)
        except ValidationFailed as exc:
            logger.info("predictive score not retrained: %s", exc.message)
            return None
        unit.commit()
        return run.id


def bind_tasks(queue: TaskQueue, uow: Callable[[], UnitOfWork]) -> None:
    """Scoring's scheduled tasks on `queue`, each with the unit of work it needs."""

    def daily_task() -> int:
        return daily_rescore(uow)

    def weekly_task() -> int | None:
        return weekly_predictive(uow)

    # Windows expire with time, not with events: every night all live models are
    # recomputed set-based, so a score falls on the day its interactions age out.
    queue.bind(DAILY_RESCORE, daily_task, schedule=crontab(hour="3", minute="15"))
    queue.bind(
        WEEKLY_PREDICTIVE, weekly_task, schedule=crontab(day_of_week="1", hour="4", minute="0")
    )
