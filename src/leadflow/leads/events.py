"""Events published when leads change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from leadflow.bus import Event, event


@event
@dataclass(frozen=True)
class LeadCreated(Event):
    """A lead was created."""

    name = "lead.created"
    lead_id: int


@event
@dataclass(frozen=True)
class LeadsCreated(Event):
    """Many leads were created at once (a chunk of a file import): one outbox row
    instead of a `LeadCreated` each. Handlers take it as the `LeadCreated` of each
    lead (`parts()`); it has no subject, so per-lead ordering does not hold it back."""

    name = "leads.created"
    stands_for: ClassVar[type[Event] | None] = LeadCreated
    lead_ids: tuple[int, ...] = ()

    def parts(self) -> tuple[Event, ...]:
        return tuple(LeadCreated(lead_id) for lead_id in self.lead_ids)


@event
@dataclass(frozen=True)
class LeadUpdated(Event):
    """Fields of a lead changed; `changed` names them (registry names)."""

    name = "lead.updated"
    lead_id: int
    changed: tuple[str, ...] = ()


@event
@dataclass(frozen=True)
class LeadDeleted(Event):
    """A lead was deleted."""

    name = "lead.deleted"
    lead_id: int


@event
@dataclass(frozen=True)
class LeadSalesReady(Event):
    """A lead became sales-ready: once per crossing from not ready to ready.

    `manual` is true when a user set the flag; otherwise `model_id` names the
    scoring model whose threshold was reached.
    """

    name = "lead.sales_ready"
    lead_id: int
    manual: bool = False
    model_id: int | None = None


@event
@dataclass(frozen=True)
class LeadLeftContact(Event):
    """A lead stopped belonging to its parent contact (moved to another one, unlinked or
    deleted). The contact's other records cannot tell afterwards that the lead was its,
    so whoever reads a contact's leads (segments) hears it here."""

    name = "lead.left_contact"
    lead_id: int
    contact_id: int
