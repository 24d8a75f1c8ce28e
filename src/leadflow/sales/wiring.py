"""Wires sales into a container: bus handlers (`subscribe`), defaults (`seed`).

Entering a queue stage opens the queue's task; leaving the stage closes it; the
worker checks the deadlines every five minutes.
"""

from __future__ import annotations

from huey import crontab

from leadflow.bootstrap import Container
from leadflow.process.events import LeadEnteredQueue, StageChanged

# actions, rules and tasks are imported for what they declare.
from leadflow.sales import actions, rules, services, tasks  # noqa: F401
from leadflow.sales.events import WebhookRequested


def subscribe(container: Container) -> None:
    def on_entered_queue(message: LeadEnteredQueue) -> None:
        with container.uow() as uow:
            services.create_task(
                message.lead_id,
                queue=message.queue,
                stage=message.stage,
                hours=message.deadline_hours,
                rule="process.queue_stage",
                uow=uow,
            )
            uow.commit()

    def on_stage_changed(message: StageChanged) -> None:
        with container.uow() as uow:
            services.close_stage_tasks(message.lead_id, message.to_stage, uow=uow)
            uow.commit()

    def on_webhook(message: WebhookRequested) -> None:
        container.queue.enqueue("sales.deliver_webhook", message.delivery_id)

    # The worker escalates overdue tasks every five minutes (`leadflow worker`).
    container.queue.huey.periodic_task(crontab(minute="*/5"), name="sales.periodic_deadlines")(
        tasks.check_deadlines_task
    )

    container.bus.subscribe(WebhookRequested, on_webhook, name="sales.send_webhook")
    container.bus.subscribe(LeadEnteredQueue, on_entered_queue, name="sales.queue_task")
    container.bus.subscribe(StageChanged, on_stage_changed, name="sales.close_stage_tasks")
