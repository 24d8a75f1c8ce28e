"""Events published when accounts change."""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.bus import Event, event


@event
@dataclass(frozen=True)
class AccountCreated(Event):
    """A account was created."""

    name = "account.created"
    account_id: int


@event
@dataclass(frozen=True)
class AccountUpdated(Event):
    """Fields of a account changed; `changed` names them (registry names)."""

    name = "account.updated"
    account_id: int
    changed: tuple[str, ...] = ()


@event
@dataclass(frozen=True)
class AccountDeleted(Event):
    """A account was deleted."""

    name = "account.deleted"
    account_id: int
