"""Wires process into a container: bus handlers (`subscribe`), defaults (`seed`).

Every open lead gets an instance of the default process when it is created;
the automatic moves react to scoring's events and to ticks of the lead's
flags. Handlers are idempotent: a move to the stage the lead stands in does
nothing, and a lead never gets a second instance.
"""

from __future__ import annotations

from leadflow.bootstrap import Container
from leadflow.leads.events import LeadCreated, LeadSalesReady, LeadUpdated
from leadflow.org.domain import AUTO_MARKETING_QUALIFICATION
from leadflow.org.services import switch_is_on
from leadflow.process import domain, services
from leadflow.scoring.events import LeadScored

# A tick of one of these lead flags is an event the process moves on.
FLAG_EVENTS = {
    "telemarketing_ready": domain.TELEMARKETING_READY,
    "telemarketing_accepted": domain.TELEMARKETING_ACCEPTED,
}


CREATED_READY = {"sales_ready": domain.SALES_READY, **FLAG_EVENTS}


def subscribe(container: Container) -> None:
    def on_lead_created(message: LeadCreated) -> None:
        with container.uow() as uow:
            if services.start_instance(message.lead_id, uow=uow) is None:
                return
            # A lead created ready (an import, a form with the flag) moves at once.
            values = services.lead_values(uow, message.lead_id)
            for name, event_name in CREATED_READY.items():
                if values.get(name) is True:
                    services.react(message.lead_id, event_name, uow=uow, rule=f"process.{name}")
            uow.commit()

    def on_first_score(message: LeadScored) -> None:
        with container.uow() as uow:
            if not switch_is_on(uow.session, AUTO_MARKETING_QUALIFICATION.key):
                return
            services.react(
                message.lead_id, domain.FIRST_SCORED, uow=uow, rule="process.first_score"
            )
            uow.commit()

    def on_sales_ready(message: LeadSalesReady) -> None:
        with container.uow() as uow:
            services.react(message.lead_id, domain.SALES_READY, uow=uow, rule="process.sales_ready")
            uow.commit()

    def on_lead_updated(message: LeadUpdated) -> None:
        ticked = [name for name in message.changed if name in FLAG_EVENTS]
        if not ticked:
            return
        with container.uow() as uow:
            values = services.lead_values(uow, message.lead_id)
            for name in ticked:
                if values.get(name) is True:
                    services.react(
                        message.lead_id, FLAG_EVENTS[name], uow=uow, rule=f"process.{name}"
                    )
            uow.commit()

    container.bus.subscribe(LeadCreated, on_lead_created, name="process.start_instance")
    container.bus.subscribe(LeadScored, on_first_score, name="process.first_score")
    container.bus.subscribe(LeadSalesReady, on_sales_ready, name="process.sales_ready")
    container.bus.subscribe(LeadUpdated, on_lead_updated, name="process.flag_ticked")


def seed(container: Container) -> None:
    with container.uow() as uow:
        services.seed_default_process(uow)
        uow.commit()
