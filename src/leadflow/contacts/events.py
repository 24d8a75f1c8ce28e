"""Events published when contacts change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from leadflow.bus import Event, event


@event
@dataclass(frozen=True)
class ContactCreated(Event):
    """A contact was created."""

    name = "contact.created"
    contact_id: int


@event
@dataclass(frozen=True)
class ContactsCreated(Event):
    """Many contacts were created at once (a chunk of a file import): one outbox row
    instead of a `ContactCreated` each. Handlers take it as the `ContactCreated` of
    each contact (`parts()`); it has no subject, so per-contact ordering does not hold
    it back."""

    name = "contacts.created"
    stands_for: ClassVar[type[Event] | None] = ContactCreated
    contact_ids: tuple[int, ...] = ()

    def parts(self) -> tuple[Event, ...]:
        return tuple(ContactCreated(contact_id) for contact_id in self.contact_ids)


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
