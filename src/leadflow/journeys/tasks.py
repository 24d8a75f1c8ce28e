"""Background work of journeys: the periodic claimer that runs due steps.

Every minute a worker (`leadflow worker`, or `leadflow serve --with-worker`) claims
due positions batch after batch until none is due or its time budget is spent; two
workers at once split the work (SKIP LOCKED on PostgreSQL, one writer on SQLite).
Journeys' wiring binds it to the process's queue with the dependencies it needs.
"""

from __future__ import annotations

from huey import crontab

from leadflow.dependencies import Dependencies
from leadflow.journeys.services import advance
from leadflow.queue import TaskQueue

ADVANCE_TASK = "journeys.advance"
# Under the minute between runs, so one run ends before the next starts.
BUDGET_SECONDS = 50.0


def bind_tasks(queue: TaskQueue, dependencies: Dependencies) -> None:
    """The claimer on `queue`, every minute."""

    def advance_task() -> dict[str, int]:
        """Run the journeys' due steps."""
        result = advance(dependencies, budget_seconds=BUDGET_SECONDS)
        return {"claimed": result.claimed, "moved": result.moved, "emails": result.emails}

    queue.bind(ADVANCE_TASK, advance_task, schedule=crontab(minute="*"))
