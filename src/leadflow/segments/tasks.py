"""Background work of segments: the full-build job kind and the scheduled re-checks.

Moving windows ("in the last 30 days") change membership with time alone, with no
event: every few minutes the live segments that read such a window are evaluated
again in full and the differences written. Once a night every live dynamic
segment is, which also catches what no event names (a lead deleted or moved to
another contact: the event does not say whose it was).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from huey import crontab

from leadflow.jobs.kinds import job_kind
from leadflow.queue import background
from leadflow.segments.services import BUILD_JOB, build_segment, recheck_segments
from leadflow.users.domain import Permission

if TYPE_CHECKING:
    from leadflow.jobs.runner import JobContext

logger = logging.getLogger(__name__)


@job_kind(BUILD_JOB, permission=Permission.SEGMENTS_WRITE, label="Segment build")
def build_job(context: JobContext, params: Mapping[str, Any]) -> dict[str, int]:
    """Evaluate every contact against a live segment and write who entered and who left."""
    segment_id = int(params["segment_id"])
    with context.container.uow() as uow:

        def each_chunk(done: int, total: int) -> None:
            context.progress(done, total, uow=uow)
            uow.commit()
            context.raise_if_cancelled()

        changes = build_segment(segment_id, uow=uow, each_chunk=each_chunk)
        total = changes.entered + changes.left
        context.progress(total, total, uow=uow)
        uow.commit()
    return {"segment_id": segment_id, **changes.public()}


@background("segments.recheck_windows", schedule=crontab(minute="*/5"))
def recheck_windows() -> dict[str, int]:
    """Re-check the live segments whose conditions move with time."""
    from leadflow.bootstrap import current

    return recheck_segments(current(), only_time_relative=True)


@background("segments.recheck_all", schedule=crontab(hour="2", minute="40"))
def recheck_all() -> dict[str, int]:
    """Re-check every live dynamic and compound segment (nightly)."""
    from leadflow.bootstrap import current

    return recheck_segments(current(), only_time_relative=False)
