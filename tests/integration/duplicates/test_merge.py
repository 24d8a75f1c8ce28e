"""Creation by hand refuses a match; candidates from the match keys; merging contacts and leads."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.contacts.models import Contact
from leadflow.contacts.services import create_contact
from leadflow.duplicates import services as duplicates
from leadflow.duplicates.errors import DuplicateFound
from leadflow.errors import Conflict
from leadflow.interactions.models import Interaction
from leadflow.interactions.services import record_interaction
from leadflow.leads.models import Lead
from leadflow.leads.services import create_lead
from leadflow.matching.services import match_contact
from leadflow.sales.models import Task
from tests.integration.process.helpers import new_lead, tick

# Duplicates are checked after every change, so a test sees its own at once.
pytestmark = pytest.mark.settings(duplicate_check_pause_seconds=0)


def contact(container: Container, **values: object) -> int:
    with container.uow() as uow:
        row = create_contact({"last_name": "Lovelace", **values}, uow=uow)
        uow.commit()
    container.relay.drain()
    return row.id


def test_a_contact_typed_in_twice_is_refused_naming_the_first(container: Container) -> None:
    with container.uow() as uow:
        first = duplicates.create_contact_checked(
            {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.test"}, uow=uow
        ).id
        uow.commit()
    with container.uow() as uow, pytest.raises(DuplicateFound) as refused:
        duplicates.create_contact_checked({"email": " ADA@example.test"}, uow=uow)
    assert refused.value.existing_id == first
    assert refused.value.to_problem()["existing"]["href"] == f"/contacts/{first}"
    assert refused.value.to_problem()["code"] == "duplicate"
    with container.uow() as uow:
        again = duplicates.create_contact_checked(
            {"email": "ada@example.test"}, uow=uow, create_anyway=True
        ).id
        uow.commit()
    assert again != first


def test_a_capture_after_a_hand_made_contact_finds_it(container: Container) -> None:
    with container.uow() as uow:
        made = duplicates.create_contact_checked({"email": "grace@example.test"}, uow=uow).id
        uow.commit()
    with container.uow() as uow:
        outcome = match_contact(uow, {"email": "Grace@example.test"})
        uow.commit()
    assert (outcome.contact_id, outcome.created) == (made, False)


def test_candidates_are_pairs_that_share_a_match_key(container: Container) -> None:
    first = contact(container, email="twin@example.test", first_name="Ann")
    second = contact(container, email="TWIN@example.test ", first_name="Anne")
    contact(container, email="single@example.test")
    with container.read_session() as session:
        pairs = duplicates.candidate_pairs(session, container.registry(), "contact").pairs
    by_email = [pair for pair in pairs if pair.strategy == "Email"]
    assert [(p.first_id, p.second_id, p.count) for p in by_email] == [(first, second, 2)]


def test_merging_contacts_moves_leads_and_interactions_and_keeps_the_other_marked(
    container: Container,
) -> None:
    survivor = contact(container, email="ann@example.test", first_name="Ann", phone=None)
    other = contact(container, email="ann@example.test", first_name="Anne", phone="+442071234567")
    with container.uow() as uow:
        lead_id = create_lead({"last_name": "L", "parent_contact_id": other}, uow=uow).id
        record_interaction({"contact_id": other, "kind": "email_opened"}, uow=uow)
        uow.commit()
    container.relay.drain()
    with container.uow() as uow:
        duplicates.merge_contacts(survivor, other, take=["phone"], uow=uow)
        uow.commit()
    container.relay.drain()
    with container.read_session() as session:
        kept = session.get(Contact, survivor)
        gone = session.get(Contact, other)
        lead = session.get(Lead, lead_id)
        owners = set(session.scalars(select(Interaction.contact_id)))
        assert kept is not None and gone is not None and lead is not None
        assert (kept.first_name, kept.phone) == ("Ann", "+442071234567")
        assert gone.merged_into_id == survivor
        assert lead.parent_contact_id == survivor
        assert owners == {survivor}
        pairs = duplicates.candidate_pairs(session, container.registry(), "contact").pairs
    assert pairs == []
    # Capture now finds the survivor, never the merged record.
    with container.uow() as uow:
        outcome = match_contact(uow, {"email": "ann@example.test"})
    assert outcome.contact_id == survivor
    with container.uow() as uow, pytest.raises(Conflict):
        duplicates.merge_contacts(survivor, other, uow=uow)


def test_merging_leads_moves_tasks_and_history_and_closes_the_others_queue_task(
    container: Container,
) -> None:
    survivor, other = new_lead(container), new_lead(container)
    tick(container, survivor, sales_ready=True)
    tick(container, other, telemarketing_ready=True)
    with container.uow() as uow:
        duplicates.merge_leads(survivor, other, take=["topic"], uow=uow)
        uow.commit()
    container.relay.drain()
    with container.read_session() as session:
        tasks = session.execute(select(Task.lead_id, Task.queue, Task.status)).all()
        gone = session.get(Lead, other)
    assert sorted(tasks) == sorted(
        [(survivor, "sales_acceptance", "open"), (survivor, "telemarketing", "done")]
    )
    assert gone is not None and gone.merged_into_id == survivor
    assert (gone.status, gone.status_reason) == ("disqualified", "canceled")
