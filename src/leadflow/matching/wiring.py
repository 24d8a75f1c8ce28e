"""Wires matching into a container: bus handlers (`subscribe`), defaults (`seed`)."""

from __future__ import annotations

from leadflow.dependencies import Dependencies
from leadflow.matching.services import seed_strategies


def seed(container: Dependencies) -> None:
    with container.uow() as uow:
        seed_strategies(uow)
        uow.commit()
