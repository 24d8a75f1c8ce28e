"""Background work of emails: deliver after a commit queued messages, and a sweep each
minute that delivers what is due (retries, recoveries, a lost enqueue). Emails' wiring
binds both to the process's queue with the dependencies delivery needs."""

from __future__ import annotations

from typing import Any

from huey import crontab

from leadflow.dependencies import Dependencies
from leadflow.emails.delivery import deliver_pending
from leadflow.emails.services import DELIVER_TASK
from leadflow.queue import TaskQueue

SWEEP_TASK = "emails.sweep"


def bind_tasks(queue: TaskQueue, dependencies: Dependencies) -> None:
    """Delivery on `queue`: when a commit queued messages, and every minute."""

    def deliver() -> dict[str, Any]:
        """Send the due messages (queued by `queue_messages`, after its commit)."""
        return deliver_pending(dependencies).public()

    def sweep() -> dict[str, Any]:
        """Every minute: retries whose time has come, messages dead workers left."""
        return deliver_pending(dependencies).public()

    queue.bind(DELIVER_TASK, deliver)
    queue.bind(SWEEP_TASK, sweep, schedule=crontab(minute="*"))
