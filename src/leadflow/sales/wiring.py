"""Wires sales into a container: bus handlers (`subscribe`), defaults (`seed`).

Entering a queue stage opens the queue's task; leaving the stage closes it; the
worker checks the deadlines every five minutes.
"""

from __future__ import annotations

from collections.abc import Sequence

from leadflow.bus import Delivery, Event
from leadflow.dependencies import Dependencies
from leadflow.leads.events import LeadUpdated
from leadflow.process.domain import SALES_ACCEPTANCE_QUEUE
from leadflow.process.events import LeadEnteredQueue, StageChanged

# actions, rules and tasks are imported for what they declare.
from leadflow.sales import actions, rules, services, tasks  # noqa: F401
from leadflow.sales.events import WebhookRequested


def subscribe(container: Dependencies) -> None:
    def sync_queue_tasks(deliveries: Sequence[Delivery]) -> None:
        """Queue tasks follow each lead's stage as it stands now, so a batch (or a
        redelivered one) that holds several moves of a lead ends in the same place
        as handling them one by one: tasks of stages the lead has left are done, and
        the stage it stands in has its one open task."""
        with container.uow() as uow:
            lead_ids = list(dict.fromkeys(_lead_of(each.event) for each in deliveries))
            stages = services.current_stages(uow.session, lead_ids)
            accepted = services.accepted_leads(uow.session, lead_ids)
            services.close_stage_tasks(lead_ids, stages, uow=uow)
            for each in deliveries:
                message = each.event
                if (
                    isinstance(message, LeadEnteredQueue)
                    and stages.get(message.lead_id) == message.stage
                    # An accepted lead has nothing left to do in the acceptance queue.
                    and not (
                        message.queue == SALES_ACCEPTANCE_QUEUE and message.lead_id in accepted
                    )
                ):
                    services.create_task(
                        message.lead_id,
                        queue=message.queue,
                        stage=message.stage,
                        hours=message.deadline_hours,
                        rule="process.queue_stage",
                        uow=uow,
                    )
            uow.commit()

    def close_accepted(deliveries: Sequence[Delivery]) -> None:
        """Ticking sales accepted by any path closes the lead's acceptance task."""
        lead_ids = [
            each.event.lead_id
            for each in deliveries
            if isinstance(each.event, LeadUpdated) and "sales_accepted" in each.event.changed
        ]
        if not lead_ids:
            return
        with container.uow() as uow:
            services.close_accepted_tasks(list(dict.fromkeys(lead_ids)), uow=uow)
            uow.commit()

    def on_webhook(message: WebhookRequested) -> None:
        container.queue.enqueue(tasks.DELIVER_WEBHOOK, message.delivery_id)

    tasks.bind_tasks(container.queue, container.uow)

    container.bus.subscribe(WebhookRequested, on_webhook, name="sales.send_webhook")
    container.bus.subscribe_batch(
        [StageChanged, LeadEnteredQueue], sync_queue_tasks, name="sales.queue_tasks"
    )
    container.bus.subscribe_batch([LeadUpdated], close_accepted, name="sales.accepted_tasks")


def _lead_of(message: Event) -> int:
    assert isinstance(message, StageChanged | LeadEnteredQueue)
    return message.lead_id
