"""Keeps this process's registry fresh when custom fields change."""

from __future__ import annotations

from leadflow.bus import MessageBus
from leadflow.registry.events import CustomFieldAdded, CustomFieldRemoved
from leadflow.registry.services import RegistryCache


def subscribe_cache(bus: MessageBus, cache: RegistryCache) -> None:
    """Drop `cache`'s registry whenever a custom field is added or removed."""

    def invalidate(_event: CustomFieldAdded | CustomFieldRemoved) -> None:
        cache.invalidate()

    bus.subscribe(CustomFieldAdded, invalidate, name="registry.invalidate")
    bus.subscribe(CustomFieldRemoved, invalidate, name="registry.invalidate")
