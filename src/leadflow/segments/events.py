"""Events of segments: contacts entered or left a segment, a segment went live or stopped.

Memberships move many at a time (a batch of changes moves thousands, a build every
member), so what is stored is one event per segment and batch naming every contact
(`ContactsEnteredSegment`, `ContactsLeftSegment`); the per-contact events they stand
for (`ContactEnteredSegment`, `ContactLeftSegment`) are what automation rules react
to, one firing per contact."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from leadflow.bus import Event, event

# Contacts named by one stored event at most: a build's chunk.
CONTACTS_PER_EVENT = 2000


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
class ContactsEnteredSegment(Event):
    """Contacts became members of a live segment at once: `contact_ids` ascending, each
    admitted by the block at the same position of `blocks`, under `version`."""

    name = "segment.contacts_entered"
    stands_for: ClassVar[type[Event] | None] = ContactEnteredSegment
    segment_id: int
    contact_ids: tuple[int, ...]
    version: int = 0
    blocks: tuple[int, ...] = ()

    def parts(self) -> tuple[Event, ...]:
        blocks = self.blocks or (0,) * len(self.contact_ids)
        return tuple(
            ContactEnteredSegment(self.segment_id, contact_id, self.version, block)
            for contact_id, block in zip(self.contact_ids, blocks, strict=True)
        )


@event
@dataclass(frozen=True)
class ContactsLeftSegment(Event):
    """Contacts stopped being members of a segment at once (`contact_ids` ascending),
    all for one `reason`."""

    name = "segment.contacts_left"
    stands_for: ClassVar[type[Event] | None] = ContactLeftSegment
    segment_id: int
    contact_ids: tuple[int, ...]
    reason: str = "no longer matches"

    def parts(self) -> tuple[Event, ...]:
        return tuple(
            ContactLeftSegment(self.segment_id, contact_id, self.reason)
            for contact_id in self.contact_ids
        )


def entered_events(
    entered: list[tuple[int, int, int, int]],
) -> list[ContactsEnteredSegment]:
    """One event per segment (and version) for `entered` rows (segment, contact, version,
    block) sorted by segment, version and contact; at most CONTACTS_PER_EVENT each."""
    found: list[ContactsEnteredSegment] = []
    start = 0
    while start < len(entered):
        segment_id, _contact, version, _block = entered[start]
        end = start
        while (
            end < len(entered)
            and end - start < CONTACTS_PER_EVENT
            and entered[end][0] == segment_id
            and entered[end][2] == version
        ):
            end += 1
        rows = entered[start:end]
        found.append(
            ContactsEnteredSegment(
                segment_id,
                tuple(row[1] for row in rows),
                version,
                tuple(row[3] for row in rows),
            )
        )
        start = end
    return found


def left_events(left: list[tuple[int, int]], reason: str) -> list[ContactsLeftSegment]:
    """One event per segment for `left` pairs (segment, contact) sorted; at most
    CONTACTS_PER_EVENT contacts each."""
    found: list[ContactsLeftSegment] = []
    start = 0
    while start < len(left):
        segment_id = left[start][0]
        end = start
        while end < len(left) and end - start < CONTACTS_PER_EVENT and left[end][0] == segment_id:
            end += 1
        found.append(
            ContactsLeftSegment(segment_id, tuple(pair[1] for pair in left[start:end]), reason)
        )
        start = end
    return found


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
