"""Background work of scoring: the full-rescore job kind, the nightly rescore, the weekly
predictive retraining."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from huey import crontab

from leadflow.jobs.kinds import job_kind
from leadflow.queue import background
from leadflow.scoring.services import RESCORE_JOB, run_rescore, start_rescore
from leadflow.users.domain import Permission

if TYPE_CHECKING:
    from leadflow.jobs.runner import JobContext

logger = logging.getLogger(__name__)


@job_kind(RESCORE_JOB, permission=Permission.SCORING_ADMIN, label="Full rescore")
def rescore_job(context: JobContext, params: Mapping[str, Any]) -> dict[str, int]:
    """Recompute every lead's score under the live models (or one), range by range."""
    return run_rescore(context, params)


# Windows expire with time, not with events: every night all live models are
# recomputed set-based, so a score falls on the day its interactions age out.
@background("scoring.daily", schedule=crontab(hour="3", minute="15"))
def daily_rescore() -> int:
    """Start the nightly full rescore of every live model; returns the job id."""
    from leadflow.bootstrap import current

    with current().uow() as uow:
        job = start_rescore(None, uow=uow)
        uow.commit()
        return job.id


@background("scoring.predictive_weekly", schedule=crontab(day_of_week="1", hour="4", minute="0"))
def weekly_predictive() -> int | None:
    """Retrain the predictive score each week; with too few closed leads it waits a week."""
    from leadflow.bootstrap import current
    from leadflow.errors import ValidationFailed
    from leadflow.scoring.predict import train_predictive

    with current().uow() as uow:
        try:
            run = train_predictive(uow=uow)
        except ValidationFailed as exc:
            logger.info("predictive score not retrained: %s", exc.message)
            return None
        uow.commit()
        return run.id
