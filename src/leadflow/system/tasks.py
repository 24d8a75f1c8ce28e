"""Tasks every worker runs: a health probe and an outbox relay pass.

Bound to the process's queue by `bind_tasks`, called from system's wiring with
the dependencies they read.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from leadflow.contacts.models import Contact
from leadflow.dependencies import Dependencies

HEALTH_TASK = "system.health"
RELAY_TASK = "system.relay_outbox"


def bind_tasks(dependencies: Dependencies) -> None:
    def health() -> dict[str, Any]:
        """What the worker sees: its database and how many contacts it holds."""
        with dependencies.read_session() as session:
            contacts = session.scalar(select(func.count()).select_from(Contact))
        return {"database": dependencies.engine.dialect.name, "contacts": int(contacts or 0)}

    def relay_outbox() -> int:
        """Handle every pending outbox event; returns how many were handled."""
        return dependencies.relay.drain()

    dependencies.queue.bind(HEALTH_TASK, health)
    dependencies.queue.bind(RELAY_TASK, relay_outbox)
