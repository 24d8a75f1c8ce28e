"""Wires views into a container: the shipped saved views (`seed`)."""

from __future__ import annotations

from leadflow.bootstrap import Container
from leadflow.views.services import seed_views


def seed(container: Container) -> None:
    with container.uow() as uow:
        seed_views(uow)
        uow.commit()
