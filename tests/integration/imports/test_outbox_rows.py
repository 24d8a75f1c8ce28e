"""An import writes its new records' events from their ids: the outbox rows are the
same as those of the events written one by one."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.imports._bulk import Created, write_events
from leadflow.leads.events import LeadCreated, LeadUpdated
from leadflow.outbox import OutboxMessage


def _stored(container: Container) -> list[tuple[str, dict[str, object], str | None]]:
    with container.read_session() as session:
        rows = session.execute(
            select(OutboxMessage.event_type, OutboxMessage.payload, OutboxMessage.subject)
            .where(OutboxMessage.event_type.in_(["lead.created", "lead.updated"]))
            .order_by(OutboxMessage.id)
        ).all()
    return [(kind, dict(payload), subject) for kind, payload, subject in rows]


def test_created_ids_are_stored_as_their_events_would_be_in_order(container: Container) -> None:
    with container.uow() as uow:
        write_events(
            uow.session,
            uow,
            [
                LeadCreated(lead_id=7),
                Created(LeadCreated, "lead_id", [8, 9]),
                LeadUpdated(lead_id=7, changed=("topic",)),
            ],
        )
        uow.commit()

    assert _stored(container) == [
        ("lead.created", {"lead_id": 7}, "lead:7"),
        ("lead.created", {"lead_id": 8}, "lead:8"),
        ("lead.created", {"lead_id": 9}, "lead:9"),
        ("lead.updated", {"lead_id": 7, "changed": ["topic"]}, "lead:7"),
    ]


def test_an_event_of_more_than_an_id_is_refused_in_a_group(container: Container) -> None:
    with container.uow() as uow, pytest.raises(ValueError, match="LeadUpdated is not one id"):
        write_events(uow.session, uow, [Created(LeadUpdated, "lead_id", [8])])
