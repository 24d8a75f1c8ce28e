"""Wires LinkedIn into a container: the shipped mappings and strategy (`seed`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import leadflow.linkedin.tasks  # noqa: F401  (declares the job kind and the tasks)
from leadflow.linkedin.services import seed_linkedin

if TYPE_CHECKING:
    from leadflow.bootstrap import Container


def seed(container: Container) -> None:
    with container.uow() as uow:
        seed_linkedin(uow)
        uow.commit()
