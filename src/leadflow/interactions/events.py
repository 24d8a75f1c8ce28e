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


@event
@dataclass(frozen=True)
class InteractionsRemoved(Event):
    """A contact's interactions were deleted (an import of them undone): what they
    credited (scores, segment memberships) is worked out again without them."""

    name = "interactions.removed"
    contact_id: int
    kinds: tuple[str, ...]
    count: int
