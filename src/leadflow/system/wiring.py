"""Wires system into a process: the health probe and relay tasks bound to its queue."""

from __future__ import annotations

from leadflow.dependencies import Dependencies
from leadflow.system import tasks


def subscribe(dependencies: Dependencies) -> None:
    tasks.bind_tasks(dependencies)
