"""Events published when duplicates are merged."""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.bus import Event, event


@event
@dataclass(frozen=True)
class RecordsMerged(Event):
    """`other_id` was merged into `survivor_id` (an entity "contact" or "lead"): what pointed
    at the other now points at the survivor; the other is kept, marked, and redirects."""

    name = "duplicates.merged"
    entity: str
    survivor_id: int
    other_id: int
