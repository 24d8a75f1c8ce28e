"""What a running job holds: its claim on the row, and the context its kind runs with.

Every write a job makes through its context is fenced by the attempt number of
its claim: once the sweep has handed a dead worker's job to another, the first
worker's writes match nothing and it stops (`JobSuperseded`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from leadflow.db.uow import UnitOfWork
from leadflow.jobs.domain import JobStatus
from leadflow.jobs.errors import JobCancelled, JobSuperseded
from leadflow.jobs.models import Job
from leadflow.lib.clock import utcnow

if TYPE_CHECKING:
    from leadflow.dependencies import Dependencies

Progress = Callable[[int, int], None]


def rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class Claim:
    """A job this worker holds: the row as it was when claimed."""

    job_id: int
    attempt: int
    kind: str
    params: Mapping[str, Any]
    checkpoint: Any
    done: int
    total: int


def _fenced(claim: Claim) -> Any:
    return and_(
        Job.id == claim.job_id,
        Job.attempts == claim.attempt,
        Job.status == JobStatus.RUNNING.value,
    )


def write_fenced(session: Session, claim: Claim, values: Mapping[str, Any]) -> bool:
    result = session.execute(
        update(Job)
        .where(_fenced(claim))
        .values(**values, heartbeat_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) > 0


class JobContext:
    """What a running job gets: the container's dependencies, where to resume, and
    the way to report progress, save checkpoints and hear of cancellation.

    Inside a unit of work of its own, a job passes it (`uow=`) to `progress` and
    `checkpoint`: the cursor then commits with the batch it describes, and on
    SQLite the job never opens a second write transaction on its own thread.
    """

    def __init__(
        self,
        container: Dependencies,
        claim: Claim,
        on_progress: Progress | None,
        lost: threading.Event | None = None,
    ) -> None:
        self.container = container
        self.job_id = claim.job_id
        self.kind = claim.kind
        self.params: Mapping[str, Any] = claim.params
        # The last checkpoint of an earlier attempt; None on a fresh start.
        self.resume_from: Any = claim.checkpoint
        self.done = claim.done
        self.total = claim.total
        self._claim = claim
        self._on_progress = on_progress
        # Set by the heartbeat when it finds the job in another worker's hands.
        self._lost = lost or threading.Event()

    @property
    def attempt(self) -> int:
        return self._claim.attempt

    def progress(
        self, done: int, total: int | None = None, *, uow: UnitOfWork | None = None
    ) -> None:
        """Record how far the job got (`total` when it is known or changed)."""
        values: dict[str, Any] = {"done": done}
        if total is not None:
            values["total"] = total
        self._record(values, uow)

    def checkpoint(
        self,
        cursor: Any,
        *,
        done: int | None = None,
        total: int | None = None,
        uow: UnitOfWork | None = None,
    ) -> None:
        """Save where a resumed run continues (JSON), with the progress it stands for."""
        values: dict[str, Any] = {"checkpoint": cursor}
        if done is not None:
            values["done"] = done
        if total is not None:
            values["total"] = total
        self._record(values, uow)

    def cancelled(self) -> bool:
        """Whether someone asked the job to stop; raises JobSuperseded when the job
        is no longer this worker's."""
        if self._lost.is_set():
            raise JobSuperseded(f"job {self.job_id} was resumed by another worker")
        with self.container.read_session() as session:
            row = session.execute(
                select(Job.cancel_requested, Job.attempts, Job.status).where(Job.id == self.job_id)
            ).first()
        if row is None or row.attempts != self.attempt or row.status != JobStatus.RUNNING:
            raise JobSuperseded(f"job {self.job_id} is no longer this worker's")
        return bool(row.cancel_requested)

    def raise_if_cancelled(self) -> None:
        """Stop here (the runner records the job as cancelled) if cancellation was asked."""
        if self.cancelled():
            raise JobCancelled(f"job {self.job_id} was cancelled")

    def _record(self, values: dict[str, Any], uow: UnitOfWork | None) -> None:
        if self._lost.is_set():
            raise JobSuperseded(f"job {self.job_id} was resumed by another worker")
        if uow is not None:
            written = write_fenced(uow.session, self._claim, values)
        else:
            with self.container.uow() as own:
                written = write_fenced(own.session, self._claim, values)
                own.commit()
        if not written:
            self._lost.set()
            raise JobSuperseded(f"job {self.job_id} is no longer this worker's")
        self.done = int(values.get("done", self.done))
        self.total = int(values.get("total", self.total))
        if self._on_progress is not None:
            self._on_progress(self.done, self.total)
