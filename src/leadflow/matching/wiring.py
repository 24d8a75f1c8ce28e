"""Wires matching into a container: bus handlers (`subscribe`), defaults (`seed`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from leadflow.matching.services import seed_strategies

if TYPE_CHECKING:
    from leadflow.bootstrap import Container


def seed(container: Container) -> None:
    with container.uow() as uow:
        seed_strategies(uow)
        uow.commit()
