"""Wires emails into a container: delivery's tasks bound to the queue (`subscribe`)."""

from __future__ import annotations

from leadflow.dependencies import Dependencies
from leadflow.emails import tasks


def subscribe(container: Dependencies) -> None:
    tasks.bind_tasks(container.queue, container)
