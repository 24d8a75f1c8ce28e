"""Events published when activities are logged."""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.bus import Event, event


@event
@dataclass(frozen=True)
class CallLogged(Event):
    """Someone logged a call on a lead (and so on its contact) with its outcome."""

    name = "activity.call_logged"
    activity_id: int
    lead_id: int | None
    contact_id: int | None
    outcome: str


@event
@dataclass(frozen=True)
class NoteAdded(Event):
    """Someone wrote a note on a lead or a contact."""

    name = "activity.note_added"
    activity_id: int
    lead_id: int | None
    contact_id: int | None
