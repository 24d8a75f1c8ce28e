"""Events published when the registry changes."""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.bus import Event, event


@event
@dataclass(frozen=True)
class CustomFieldAdded(Event):
    """An admin added a custom field; every process reloads its registry."""

    name = "custom_field.added"
    entity: str
    field_name: str


@event
@dataclass(frozen=True)
class CustomFieldRemoved(Event):
    name = "custom_field.removed"
    entity: str
    field_name: str
