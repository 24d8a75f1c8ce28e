"""Background work of segments: the full-build job kind and the scheduled re-checks.

Moving windows ("in the last 30 days") change membership with time alone, with no
event: every few minutes the live segments that read such a window are evaluated
again in full and the differences written. Once a night every live dynamic
segment is, which also catches what no event names (a lead deleted or moved to
another contact: the event does not say whose it was). Segments' wiring binds
these to the process's queue with the dependencies they need.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from huey import crontab

from leadflow.dependencies import Dependencies
from leadflow.jobs.kinds import job_kind
from leadflow.queue import TaskQueue
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


def bind_tasks(queue: TaskQueue, dependencies: Dependencies) -> None:
    """The scheduled re-checks on `queue`, with the dependencies they evaluate with."""

    def recheck_windows() -> dict[str, int]:
        """Re-check the live segments whose conditions move with time."""
        return recheck_segments(dependencies, only_time_relative=True)

    def recheck_all() -> dict[str, int]:
        """Re-check every live dynamic and compound segment (nightly)."""
        return recheck_segments(dependencies, only_time_relative=False)

    queue.bind("segments.recheck_windows", recheck_windows, schedule=crontab(minute="*/5"))
    queue.bind("segments.recheck_all", recheck_all, schedule=crontab(hour="2", minute="40"))
