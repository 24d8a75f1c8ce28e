"""Wires process into a container: bus handlers (`subscribe`), defaults (`seed`).

Every open lead gets an instance of the default process when it is created
(a lead created ready moves at once); the first score moves it when the org
switch says so. The other automatic moves are builtin automation rules
(rules.py). Handlers are idempotent: a move to the stage the lead stands in
does nothing, and a lead never gets a second instance.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from leadflow.bootstrap import Container
from leadflow.bus import Delivery
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
    def start_instances(deliveries: Sequence[Delivery]) -> None:
        with container.uow() as uow:
            for each in deliveries:
                lead_id = cast(LeadCreated, each.event).lead_id
                if services.start_instance(lead_id, uow=uow) is None:
                    continue
                # A lead created ready (an import, a form with the flag) moves at once.
                values = services.lead_values(uow, lead_id)
                for name, event_name in CREATED_READY.items():
                    if values.get(name) is True:
                        services.react(lead_id, event_name, uow=uow, rule=f"process.{name}")
            uow.commit()

    def on_first_scores(deliveries: Sequence[Delivery]) -> None:
        with container.uow() as uow:
            if not switch_is_on(uow.session, AUTO_MARKETING_QUALIFICATION.key):
                return
            for each in deliveries:
                lead_id = cast(LeadScored, each.event).lead_id
                services.react(lead_id, domain.FIRST_SCORED, uow=uow, rule="process.first_score")
            uow.commit()

    container.bus.subscribe_batch([LeadCreated], start_instances, name="process.start_instance")
    container.bus.subscribe_batch([LeadScored], on_first_scores, name="process.first_score")


def seed(container: Container) -> None:
    with container.uow() as uow:
        services.seed_default_process(uow)
        uow.commit()
