"""Events published when interactions are recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from leadflow.bus import Event, event


@event
@dataclass(frozen=True)
class InteractionRecorded(Event):
    """A contact did something: scoring, segments and journeys react to it."""

    name = "interaction.recorded"
    interaction_id: int
    contact_id: int
    lead_id: int | None
    kind: str
    target_id: str | None
    occurred_at: datetime
