"""Wires jobs into a process: the run and sweep tasks bound to its queue."""

from __future__ import annotations

from leadflow.dependencies import Dependencies
from leadflow.jobs import tasks


def subscribe(dependencies: Dependencies) -> None:
    tasks.bind_tasks(dependencies)
