"""Events published when opportunitys change."""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.bus import Event, event


@event
@dataclass(frozen=True)
class OpportunityCreated(Event):
    """A opportunity was created."""

    name = "opportunity.created"
    opportunity_id: int


@event
@dataclass(frozen=True)
class OpportunityUpdated(Event):
    """Fields of a opportunity changed; `changed` names them (registry names)."""

    name = "opportunity.updated"
    opportunity_id: int
    changed: tuple[str, ...] = ()


@event
@dataclass(frozen=True)
class OpportunityDeleted(Event):
    """A opportunity was deleted."""

    name = "opportunity.deleted"
    opportunity_id: int


@event
@dataclass(frozen=True)
class OpportunityLeftContact(Event):
    """An opportunity stopped belonging to its contact (moved, unlinked or deleted): the
    contact cannot tell afterwards, so whoever reads a contact's opportunities hears it."""

    name = "opportunity.left_contact"
    opportunity_id: int
    contact_id: int
