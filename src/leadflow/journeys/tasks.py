"""Background work of journeys: the periodic claimer that runs due steps.

Every minute a worker (`leadflow worker`, or `leadflow serve --with-worker`) claims
due positions batch after batch until none is due or its time budget is spent; two
workers at once split the work (SKIP LOCKED on PostgreSQL, one writer on SQLite).
"""

from __future__ import annotations

from huey import crontab

from leadflow.queue import background

# Under the minute between runs, so one run ends before the next starts.
BUDGET_SECONDS = 50.0


@background("journeys.advance", schedule=crontab(minute="*"))
def advance_task() -> dict[str, int]:
    """Run the journeys' due steps."""
    from leadflow.bootstrap import current
    from leadflow.journeys.services import advance

    result = advance(current(), budget_seconds=BUDGET_SECONDS)
    return {"claimed": result.claimed, "moved": result.moved, "emails": result.emails}
