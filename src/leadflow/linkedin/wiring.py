"""Wires LinkedIn into a container: its tasks bound to the queue (`subscribe`), the
shipped mappings and strategy (`seed`)."""

from __future__ import annotations

from leadflow.dependencies import Dependencies
from leadflow.linkedin import tasks
from leadflow.linkedin.services import seed_linkedin


def subscribe(container: Dependencies) -> None:
    tasks.bind_tasks(container.queue, container)


def seed(container: Dependencies) -> None:
    with container.uow() as uow:
        seed_linkedin(uow)
        uow.commit()
