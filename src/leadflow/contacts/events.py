"""Events published when contacts change."""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.bus import Event, event


@event
@dataclass(frozen=True)
class ContactCreated(Event):
    """A contact was created."""

    name = "contact.created"
    contact_id: int


@event
@dataclass(frozen=True)
class ContactUpdated(Event):
    """Fields of a contact changed; `changed` names them (registry names)."""

    name = "contact.updated"
    contact_id: int
    changed: tuple[str, ...] = ()


@event
@dataclass(frozen=True)
class ContactDeleted(Event):
    """A contact was deleted."""

    name = "contact.deleted"
    contact_id: int


@event
@dataclass(frozen=True)
class ContactLeftAccount(Event):
    """A contact stopped belonging to an account (moved elsewhere or deleted).

    The account's other records cannot tell afterwards that this contact was
    theirs, so whoever aggregates over an account's contacts (account-based
    scoring) hears it here.
    """

    name = "contact.left_account"
    contact_id: int
    account_id: int
