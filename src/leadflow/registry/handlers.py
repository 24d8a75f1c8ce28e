"""Keeps this process's registry fresh when custom fields change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from leadflow.registry.events import CustomFieldAdded, CustomFieldRemoved

if TYPE_CHECKING:
    from leadflow.bootstrap import Container


def subscribe(container: Container) -> None:
    def invalidate(_event: CustomFieldAdded | CustomFieldRemoved) -> None:
        container.registry_cache.invalidate()

    container.bus.subscribe(CustomFieldAdded, invalidate, name="registry.invalidate")
    container.bus.subscribe(CustomFieldRemoved, invalidate, name="registry.invalidate")
