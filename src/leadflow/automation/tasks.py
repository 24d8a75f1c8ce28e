"""Background work of automation: the orphan-lead backfill job kind."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from leadflow.automation.orphans import BACKFILL_JOB, backfill_orphans
from leadflow.jobs.kinds import job_kind
from leadflow.users.domain import Permission

if TYPE_CHECKING:
    from leadflow.jobs.context import JobContext


@job_kind(BACKFILL_JOB, permission=Permission.AUTOMATION_ADMIN, label="Orphan-lead backfill")
def backfill_orphans_job(context: JobContext, params: Mapping[str, Any]) -> dict[str, int]:
    """Give every existing lead without a parent contact one (matched or created)."""
    return backfill_orphans(context, params)
