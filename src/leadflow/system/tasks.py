"""Tasks every worker runs: a health probe and an outbox relay pass.

Bound to the process's queue by `bind_tasks`, called from system's wiring with
the dependencies they read.
"""

from __future__ import annotations

from typing import Any

from leadflow.dependencies import Dependencies
from leadflow.records.lookup import count_records

HEALTH_TASK = "system.health"
RELAY_TASK = "system.relay_outbox"


def bind_tasks(dependencies: Dependencies) -> None:
    def health() -> dict[str, Any]:
        """What the worker sees: its database and how many contacts it holds."""
        with dependencies.read_session() as session:
            contacts = count_records(session, "contact")
        return {"database": dependencies.engine.dialect.name, "contacts": contacts}

    def relay_outbox() -> int:
        """Handle every pending outbox event; returns how many were handled."""
        return dependencies.relay.drain()

    dependencies.queue.bind(HEALTH_TASK, health)
    dependencies.queue.bind(RELAY_TASK, relay_outbox)
