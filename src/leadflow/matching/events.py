"""Events published by matching."""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.bus import Event, event


@event
@dataclass(frozen=True)
class StrategyChanged(Event):
    """A matching strategy of `target` ("contact" or "lead") was created, changed its
    fields or was deleted: which records count as duplicates may have changed."""

    name = "matching.strategy_changed"
    target: str
    strategy_id: int
