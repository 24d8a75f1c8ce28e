"""Events of the automation engine itself."""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.bus import Event, event


@event
@dataclass(frozen=True)
class RuleChanged(Event):
    """A rule was added, changed, switched or removed: every process reloads its rules."""

    name = "automation.rule_changed"
    rule_id: int
