"""Wires saved views into a process: the shipped saved views (`seed`)."""

from __future__ import annotations

from leadflow.dependencies import Dependencies
from leadflow.saved_views.services import seed_views


def seed(container: Dependencies) -> None:
    with container.uow() as uow:
        seed_views(uow)
        uow.commit()
