"""Background work of the hand-over: the deadline check and webhook deliveries.

Bound to the process's queue by sales' wiring, which hands each task the unit of
work (and the queue, for a retry) it needs.
"""

from __future__ import annotations

from collections.abc import Callable

from huey import crontab

from leadflow.db.uow import UnitOfWork
from leadflow.queue import TaskQueue
from leadflow.sales.actions import deliver
from leadflow.sales.services import check_deadlines

CHECK_DEADLINES = "sales.check_deadlines"
PERIODIC_DEADLINES = "sales.periodic_deadlines"
DELIVER_WEBHOOK = "sales.deliver_webhook"


def check_deadlines_now(uow: Callable[[], UnitOfWork]) -> int:
    """Escalate overdue tasks; run it every few minutes (`leadflow process check-deadlines`)."""
    with uow() as unit:
        escalated = check_deadlines(uow=unit)
        unit.commit()
    return len(escalated)


def bind_tasks(queue: TaskQueue, uow: Callable[[], UnitOfWork]) -> None:
    """The hand-over's tasks on `queue`; the worker checks the deadlines every five minutes."""

    def check_deadlines_task() -> int:
        return check_deadlines_now(uow)

    def deliver_webhook_task(delivery_id: int) -> str:
        """One signed attempt of a webhook; failures reschedule themselves with backoff."""
        return deliver(delivery_id, uow=uow, queue=queue)

    queue.bind(CHECK_DEADLINES, check_deadlines_task)
    queue.bind(PERIODIC_DEADLINES, check_deadlines_task, schedule=crontab(minute="*/5"))
    queue.bind(DELIVER_WEBHOOK, deliver_webhook_task)
