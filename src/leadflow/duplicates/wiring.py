"""Wires duplicates into a process: a check queued when contacts, leads or the matching
strategies change."""

from __future__ import annotations

from collections.abc import Sequence

from leadflow.bus import Delivery, Event
from leadflow.contacts.events import (
    ContactCreated,
    ContactDeleted,
    ContactsCreated,
    ContactUpdated,
)
from leadflow.dependencies import Dependencies
from leadflow.duplicates import services, tasks
from leadflow.duplicates.domain import CHECK_TASK
from leadflow.duplicates.events import RecordsMerged
from leadflow.leads.events import LeadCreated, LeadDeleted, LeadsCreated, LeadUpdated
from leadflow.matching.events import StrategyChanged

ENTITY_OF: dict[type[Event], str] = {
    ContactCreated: "contact",
    ContactsCreated: "contact",
    ContactUpdated: "contact",
    ContactDeleted: "contact",
    LeadCreated: "lead",
    LeadsCreated: "lead",
    LeadUpdated: "lead",
    LeadDeleted: "lead",
}


def subscribe(container: Dependencies) -> None:
    def records_changed(deliveries: Sequence[Delivery]) -> None:
        """Note the change; queue a check for an entity that had none waiting. Most
        batches find one waiting already and write nothing."""
        changed = {_entity(each.event) for each in deliveries}
        with container.read_session() as session:
            waiting = {
                entity for entity in changed if services.check_state(session, entity).requested_at
            }
        if changed <= waiting:
            return
        with container.uow() as uow:
            for entity in services.request_checks(changed - waiting, uow=uow):
                uow.enqueue_after_commit(CHECK_TASK, entity)
            uow.commit()

    tasks.bind_tasks(container)
    # Below 0 checks never run on their own: nothing to note.
    if container.settings.duplicate_check_pause_seconds >= 0:
        container.bus.subscribe_batch(
            [*ENTITY_OF, RecordsMerged, StrategyChanged],
            records_changed,
            name="duplicates.records_changed",
        )


def _entity(event: Event) -> str:
    """The entity whose duplicates the event may change."""
    if isinstance(event, RecordsMerged):
        return event.entity
    if isinstance(event, StrategyChanged):
        return event.target
    return ENTITY_OF[type(event)]
