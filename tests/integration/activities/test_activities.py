"""Logging calls and notes, the call_logged interaction, and the call list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from leadflow.activities import services as activities
from leadflow.bootstrap import Container
from leadflow.contacts.services import create_contact
from leadflow.errors import ValidationFailed
from leadflow.interactions.models import Interaction
from leadflow.leads.services import create_lead
from leadflow.lib.clock import utcnow
from tests.integration.process.helpers import tick
from tests.support.factories import user_with_token


def lead_with_contact(container: Container, **values: object) -> tuple[int, int]:
    with container.uow() as uow:
        contact = create_contact(
            {"first_name": "Ada", "last_name": "Lovelace", "phone": "+442071234567"}, uow=uow
        )
        lead = create_lead(
            {"topic": "Engines", "company_name": "Analytical", "parent_contact_id": contact.id,
             **values},
            uow=uow,
        )  # fmt: skip
        uow.commit()
    container.relay.drain()
    return lead.id, contact.id


def test_a_logged_call_is_an_activity_and_a_call_logged_interaction(container: Container) -> None:
    caller, _, _ = user_with_token(container, "telemarketer")
    lead_id, contact_id = lead_with_contact(container)
    later = utcnow() + timedelta(days=2)
    with container.uow() as uow:
        activities.log_call(
            lead_id, "call_back_later", notes="Busy", next_call_at=later, user_id=caller, uow=uow
        )
        uow.commit()
    container.relay.drain()
    with container.read_session() as session:
        [view] = activities.activities_of(session, lead_id=lead_id)
        [of_contact] = activities.activities_of(session, contact_id=contact_id)
        kinds = session.execute(select(Interaction.kind, Interaction.lead_id, Interaction.data))
        [(kind, on_lead, data)] = kinds.all()
    assert (view.kind, view.outcome_label, view.notes) == ("call", "Call back later", "Busy")
    assert view.user_name == "Test telemarketer"
    assert of_contact.id == view.id
    assert (kind, on_lead, data["outcome"]) == ("call_logged", lead_id, "call_back_later")


def test_an_unknown_outcome_and_a_past_next_call_are_refused(container: Container) -> None:
    lead_id, _ = lead_with_contact(container)
    with container.uow() as uow, pytest.raises(ValidationFailed) as unknown:
        activities.log_call(lead_id, "maybe", uow=uow)
    assert unknown.value.field == "outcome"
    with container.uow() as uow, pytest.raises(ValidationFailed) as past:
        activities.log_call(lead_id, "reached", next_call_at=utcnow() - timedelta(hours=1), uow=uow)
    assert past.value.field == "next_call_at"


def test_notes_on_a_contact_and_on_a_lead(container: Container) -> None:
    lead_id, contact_id = lead_with_contact(container)
    with container.uow() as uow:
        activities.add_note("Prefers mornings", contact_id=contact_id, uow=uow)
        activities.add_note("Budget in Q3", lead_id=lead_id, uow=uow)
        uow.commit()
    with container.read_session() as session:
        on_lead = [a.notes for a in activities.activities_of(session, lead_id=lead_id)]
        on_contact = [a.notes for a in activities.activities_of(session, contact_id=contact_id)]
    assert on_lead == ["Budget in Q3"]
    assert sorted(on_contact) == ["Budget in Q3", "Prefers mornings"]
    with container.uow() as uow, pytest.raises(ValidationFailed):
        activities.add_note("  ", lead_id=lead_id, uow=uow)


def test_the_call_list_is_the_telemarketing_queue_with_what_a_caller_needs(
    container: Container,
) -> None:
    queued, _ = lead_with_contact(container)
    other, _ = lead_with_contact(container)
    tick(container, queued, telemarketing_ready=True)
    tick(container, other, sales_ready=True)
    with container.read_session() as session:
        [item] = activities.call_list(session)
    assert (item.lead_id, item.person, item.phone, item.company) == (
        queued,
        "Ada Lovelace",
        "+442071234567",
        "Analytical",
    )
    assert item.last_interaction_at is None and item.next_call_at is None
    later = utcnow() + timedelta(days=1)
    with container.uow() as uow:
        activities.log_call(queued, "no_answer", next_call_at=later, uow=uow)
        uow.commit()
    container.relay.drain()
    with container.read_session() as session:
        [item] = activities.call_list(session)
    assert item.last_outcome == "No answer"
    assert item.next_call_at is not None and abs(item.next_call_at - later) < timedelta(seconds=1)
    assert item.last_interaction_at is not None


def test_the_call_list_puts_a_call_planned_for_tomorrow_after_the_leads_waiting(
    container: Container,
) -> None:
    first, _ = lead_with_contact(container)
    second, _ = lead_with_contact(container)
    tick(container, first, telemarketing_ready=True)
    tick(container, second, telemarketing_ready=True)
    with container.read_session() as session:
        assert [item.lead_id for item in activities.call_list(session)] == [first, second]
    with container.uow() as uow:
        activities.log_call(
            first, "call_back_later", next_call_at=utcnow() + timedelta(days=1), uow=uow
        )
        uow.commit()
    with container.read_session() as session:
        assert [item.lead_id for item in activities.call_list(session)] == [second, first]


def test_the_call_list_is_one_statement_whatever_its_length(container: Container) -> None:
    from tests.support.queries import count_queries

    lead_ids = [lead_with_contact(container)[0] for _ in range(4)]
    for lead_id in lead_ids:
        tick(container, lead_id, telemarketing_ready=True)
    with container.uow() as uow:
        activities.log_call(lead_ids[0], "reached", uow=uow)
        uow.commit()
    container.relay.drain()
    engines = (container.engine, container.read_engine)
    with container.read_session() as session, count_queries(*engines) as statements:
        items = activities.call_list(session)
    assert len(items) == 4
    assert len(statements) == 1
