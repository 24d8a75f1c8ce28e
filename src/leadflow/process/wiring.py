"""Wires process into a container: bus handlers (`subscribe`), defaults (`seed`).

Every open lead gets an instance of the default process when it is created, and
the automatic transitions of its process definition move it on the lead events
they name. One batch handler does both, so nothing depends on the order in which
handlers run. Handlers are idempotent: a move to the stage the lead stands in
does nothing, and a lead never gets a second instance.
"""

from __future__ import annotations

from collections.abc import Sequence

from leadflow.bus import Delivery, Event
from leadflow.dependencies import Dependencies
from leadflow.leads.events import LeadCreated, LeadSalesReady, LeadsCreated, LeadUpdated
from leadflow.process import services
from leadflow.process.domain import LeadEvent, LeadNews
from leadflow.scoring.events import LeadScored

# LeadScored is published on a lead's first score only.
EVENTS: dict[type[Event], LeadEvent] = {
    LeadCreated: LeadEvent.CREATED,
    LeadUpdated: LeadEvent.UPDATED,
    LeadSalesReady: LeadEvent.SALES_READY,
    LeadScored: LeadEvent.FIRST_SCORED,
}
# Events about many leads at once, heard as their leads' own events.
MANY: tuple[type[Event], ...] = (LeadsCreated,)


def news_by_lead(deliveries: Sequence[Delivery]) -> dict[int, LeadNews]:
    """What the batch says about each lead: the events it heard and the fields changed."""
    events: dict[int, set[LeadEvent]] = {}
    changed: dict[int, set[str]] = {}
    # An event about many leads stands for each lead's own (`Event.parts`).
    for message in (part for each in deliveries for part in each.event.parts()):
        assert isinstance(message, LeadCreated | LeadUpdated | LeadSalesReady | LeadScored)
        events.setdefault(message.lead_id, set()).add(EVENTS[type(message)])
        fields = changed.setdefault(message.lead_id, set())
        if isinstance(message, LeadUpdated):
            fields.update(message.changed)
    return {
        lead_id: LeadNews(frozenset(heard), frozenset(changed[lead_id]))
        for lead_id, heard in events.items()
    }


def subscribe(container: Dependencies) -> None:
    def run_transitions(deliveries: Sequence[Delivery]) -> None:
        with container.uow() as uow:
            services.run_transitions(news_by_lead(deliveries), uow=uow)
            uow.commit()

    container.bus.subscribe_batch([*EVENTS, *MANY], run_transitions, name="process.transitions")


def seed(container: Dependencies) -> None:
    with container.uow() as uow:
        services.seed_default_process(uow)
        uow.commit()
