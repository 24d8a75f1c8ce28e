"""Events of the business process."""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.bus import Event, event


@event
@dataclass(frozen=True)
class StageChanged(Event):
    """A lead's process instance moved (`to_stage` None: finished or abandoned)."""

    name = "lead.stage_changed"
    lead_id: int
    process_key: str
    from_stage: str | None
    to_stage: str | None
    rule: str | None = None
    actor_user_id: int | None = None


@event
@dataclass(frozen=True)
class LeadEnteredQueue(Event):
    """Entering a stage put the lead in a work queue."""

    name = "lead.entered_queue"
    lead_id: int
    queue: str
    stage: str
    deadline_hours: float | None = None
