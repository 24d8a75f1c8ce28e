"""Events published when leads change."""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.bus import Event, event


@event
@dataclass(frozen=True)
class LeadCreated(Event):
    """A lead was created."""

    name = "lead.created"
    lead_id: int


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
