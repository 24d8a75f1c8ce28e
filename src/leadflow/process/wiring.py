"""Wires process into a container: bus handlers (`subscribe`), defaults (`seed`).

Every open lead gets an instance of the default process when it is created
(a lead created ready moves at once); the first score moves it when the org
switch says so. The other automatic moves are builtin automation rules
(rules.py). Handlers are idempotent: a move to the stage the lead stands in
does nothing, and a lead never gets a second instance.
"""

from __future__ import annotations

from leadflow.bootstrap import Container
from leadflow.leads.events import LeadCreated
from leadflow.org.domain import AUTO_MARKETING_QUALIFICATION
from leadflow.org.services import switch_is_on
from leadflow.process import domain, rules, services  # noqa: F401  (rules declares builtin rules)
from leadflow.scoring.events import LeadScored

# A lead created with one of these flags set moves as if it had been ticked.
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

    container.bus.subscribe(LeadCreated, on_lead_created, name="process.start_instance")
    container.bus.subscribe(LeadScored, on_first_score, name="process.first_score")


def seed(container: Container) -> None:
    with container.uow() as uow:
        services.seed_default_process(uow)
        uow.commit()
