"""A rule on a contact entering a segment fires once per contact, though the outbox
stores one event per segment and batch naming them all."""

from __future__ import annotations

from sqlalchemy import select, update

from leadflow.automation.engine import triggers
from leadflow.automation.models import RuleRun
from leadflow.automation.services import create_rule
from leadflow.bootstrap import Container
from leadflow.contacts.models import Contact
from leadflow.outbox import OutboxMessage
from tests.integration.segments.helpers import group, live_segment, make_contact, row

TAG_ENTRANTS = {
    "name": "London entrants are tagged",
    "trigger": "segment.contact_entered",
    "conditions": [{"field": "contact.role", "op": "eq", "value": "decision_maker"}],
    "actions": [
        {"type": "set_field", "entity": "contact", "field": "job_title", "value": "London"}
    ],
}


def _departments(container: Container, ids: list[int]) -> list[str | None]:
    with container.read_session() as session:
        found = dict(session.execute(select(Contact.id, Contact.job_title)).all())
    return [found[contact_id] for contact_id in ids]


def test_a_rule_on_segment_entries_fires_per_contact_of_the_one_stored_event(
    container: Container,
) -> None:
    with container.uow() as uow:
        rule_id = create_rule(TAG_ENTRANTS, uow=uow).id
        uow.commit()
    boss, clerk, other_boss = (
        make_contact(container, city="London", role="decision_maker"),
        make_contact(container, city="London", role="employee"),
        make_contact(container, city="London", role="decision_maker"),
    )

    segment_id = live_segment(container, group(row("city", "eq", "London")))
    container.relay.drain()

    with container.read_session() as session:
        [payload] = session.scalars(
            select(OutboxMessage.payload).where(
                OutboxMessage.event_type == "segment.contacts_entered"
            )
        ).all()
        runs = session.scalars(select(RuleRun).where(RuleRun.rule_id == rule_id)).all()
    assert payload["segment_id"] == segment_id
    assert payload["contact_ids"] == [boss, clerk, other_boss]
    assert _departments(container, [boss, clerk, other_boss]) == ["London", None, "London"]
    assert sorted((run.subject, run.status) for run in runs) == [
        (f"contact:{boss}", "done"),
        (f"contact:{other_boss}", "done"),
    ]


def test_a_redelivered_segment_event_fires_no_rule_twice(container: Container) -> None:
    with container.uow() as uow:
        rule_id = create_rule(TAG_ENTRANTS, uow=uow).id
        uow.commit()
    boss = make_contact(container, city="London", role="decision_maker")
    live_segment(container, group(row("city", "eq", "London")))
    container.relay.drain()

    with container.uow() as uow:
        uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.event_type == "segment.contacts_entered")
            .values(dispatched_at=None)
        )
        uow.commit()
    assert container.relay.drain() == 1

    with container.read_session() as session:
        runs = session.scalars(select(RuleRun.subject).where(RuleRun.rule_id == rule_id)).all()
    assert runs == [f"contact:{boss}"]


def test_rules_are_offered_the_per_contact_events_not_the_stored_ones() -> None:
    offered = triggers()
    assert "segment.contact_entered" in offered
    assert "segment.contact_left" in offered
    assert "segment.contacts_entered" not in offered
    assert "segment.contacts_left" not in offered
