"""Tasks every worker runs: a health probe and an outbox relay pass."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from leadflow.queue import background


@background("system.health")
def health() -> dict[str, Any]:
    """What the worker sees: its database and how many contacts it holds."""
    from leadflow.bootstrap import current
    from leadflow.contacts.models import Contact

    container = current()
    with container.read_session() as session:
        contacts = session.scalar(select(func.count()).select_from(Contact))
    return {"database": container.engine.dialect.name, "contacts": int(contacts or 0)}


@background("system.relay_outbox")
def relay_outbox() -> int:
    """Handle every pending outbox event; returns how many were handled."""
    from leadflow.bootstrap import current

    return current().relay.drain()
