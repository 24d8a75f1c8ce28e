"""Events published by scoring. The process and automation react to them by name."""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.bus import Event, event


@event
@dataclass(frozen=True)
class LeadScored(Event):
    """A lead got its first score from a live model."""

    name = "lead.scored"
    lead_id: int
    model_id: int
    score: int
    grade: str | None = None


@event
@dataclass(frozen=True)
class ScoreChanged(Event):
    """A lead's score under a live model changed."""

    name = "lead.score_changed"
    lead_id: int
    model_id: int
    old_score: int
    new_score: int
    grade: str | None = None
