"""Events published by jobs."""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.bus import Event, event


@event
@dataclass(frozen=True)
class JobFinished(Event):
    """A job ended: succeeded, failed or cancelled (rules and notifications react)."""

    name = "job.finished"
    job_id: int
    kind: str
    status: str
