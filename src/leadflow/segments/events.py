"""Events of segments: a contact entered or left a segment, a segment went live or stopped."""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.bus import Event, event


@event
@dataclass(frozen=True)
class ContactEnteredSegment(Event):
    """A contact became a member of a live segment (under `version`, admitted by `block`;
    block -1: added by hand)."""

    name = "segment.contact_entered"
    segment_id: int
    contact_id: int
    version: int = 0
    block: int = 0


@event
@dataclass(frozen=True)
class ContactLeftSegment(Event):
    """A contact stopped being a member of a segment; `reason` says why."""

    name = "segment.contact_left"
    segment_id: int
    contact_id: int
    reason: str = "no longer matches"


@event
@dataclass(frozen=True)
class SegmentWentLive(Event):
    """A segment went live (or published a new version): its full build is a job."""

    name = "segment.went_live"
    segment_id: int
    version: int


@event
@dataclass(frozen=True)
class SegmentStopped(Event):
    """A segment stopped: its members stay as they were, no longer kept current."""

    name = "segment.stopped"
    segment_id: int
