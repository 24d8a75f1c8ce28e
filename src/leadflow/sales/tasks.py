"""Background work of the hand-over: the periodic deadline check."""

from __future__ import annotations

from leadflow.queue import background


@background("sales.check_deadlines")
def check_deadlines_task() -> int:
    """Escalate overdue tasks; run it every few minutes (`leadflow process check-deadlines`)."""
    from leadflow.bootstrap import current
    from leadflow.sales.services import check_deadlines

    container = current()
    with container.uow() as uow:
        escalated = check_deadlines(uow=uow)
        uow.commit()
    return len(escalated)


@background("sales.deliver_webhook")
def deliver_webhook_task(delivery_id: int) -> str:
    """One signed attempt of a webhook; failures reschedule themselves with backoff."""
    from leadflow.bootstrap import current
    from leadflow.sales.actions import deliver

    return deliver(delivery_id, container=current())
