"""Importing leads: linked to contacts by email (created marketing-only when missing)
and to accounts by name; the events reach the rest of the system."""

from __future__ import annotations

from sqlalchemy import select

from leadflow.accounts.services import do_create_account
from leadflow.automation.models import RuleRun
from leadflow.automation.orphans import ORPHAN_RULE_KEY
from leadflow.automation.services import get_rule_by_key, set_rule_enabled
from leadflow.bootstrap import Container
from leadflow.contacts.services import do_create_contact
from leadflow.imports.services import do_start_import
from leadflow.jobs.runner import run_job
from leadflow.leads.services import update_lead
from leadflow.outbox import OutboxMessage
from leadflow.process import domain
from leadflow.process.models import ProcessInstance
from leadflow.sales.models import Task
from tests.integration.imports.helpers import contacts, csv_bytes, leads, run, upload
from tests.integration.process.helpers import stage_of
from tests.integration.scoring.helpers import live_model, score_of
from tests.integration.segments.helpers import group, live_segment, members_of, row

CTO_RULE = {
    "points": 9,
    "conditions": [{"entity": "contact", "field": "job_title", "op": "eq", "value": "CTO"}],
}


def test_leads_link_to_existing_contacts_and_get_marketing_only_ones(
    container: Container,
) -> None:
    with container.uow() as uow:
        account_id = do_create_account({"name": "Contoso Ltd"}, uow=uow).id
        known_id = do_create_contact({"email": "ann@example.com"}, uow=uow).id
        uow.commit()
    data = csv_bytes(
        "Topic,Email,First name,Company",
        "Conference,ann@example.com,Ann,",
        "Webinar,bo@example.com,Bo,contoso ltd",
    )
    imp = run(container, upload(container, "lead", data))

    assert (imp.counts["create"], imp.counts["contacts_created"]) == (2, 1)
    first, second = leads(container)
    known, made = contacts(container)
    assert (first.topic, first.parent_contact_id, first.source) == (
        "Conference",
        known_id,
        "import",
    )
    assert (second.parent_contact_id, second.parent_account_id) == (made.id, account_id)
    assert (made.email, made.first_name, made.marketing_only) == ("bo@example.com", "Bo", True)
    assert known.id == known_id


def test_contact_creation_can_be_switched_off(container: Container) -> None:
    data = csv_bytes("topic,email", "Webinar,bo@example.com")

    imp = run(container, upload(container, "lead", data, options={"create_contacts": False}))

    assert imp.counts["create"] == 1
    [lead] = leads(container)
    assert lead.parent_contact_id is None
    assert contacts(container) == []


def test_reimporting_leads_matches_them_instead_of_duplicating(container: Container) -> None:
    data = csv_bytes("topic,email", "Webinar,bo@example.com")
    run(container, upload(container, "lead", data))

    again = run(container, upload(container, "lead", data))

    assert (again.counts["create"], again.counts["skip"]) == (0, 1)
    assert len(leads(container)) == 1
    assert len(contacts(container)) == 1


def test_a_chunks_created_leads_and_contacts_publish_one_event_each(
    container: Container,
) -> None:
    data = csv_bytes("topic,email", "Webinar,bo@example.com", "Demo,cy@example.com")

    run(container, upload(container, "lead", data))

    with container.read_session() as session:
        stored = session.execute(
            select(OutboxMessage.event_type, OutboxMessage.payload, OutboxMessage.subject).where(
                OutboxMessage.event_type.in_(["leads.created", "contacts.created"])
            )
        ).all()
    first, second = leads(container)
    bo, cy = contacts(container)
    assert sorted((kind, dict(payload), subject) for kind, payload, subject in stored) == [
        ("contacts.created", {"contact_ids": [bo.id, cy.id]}, None),
        ("leads.created", {"lead_ids": [first.id, second.id]}, None),
    ]


def test_the_handlers_take_a_chunks_event_as_each_records_own(container: Container) -> None:
    """Process, scoring and segments react to each lead and contact of the chunk's one
    event as they would to its `LeadCreated` / `ContactCreated`."""
    model_id = live_model(container, rules=[CTO_RULE])
    segment_id = live_segment(container, group(row("job_title", "eq", "CTO")))
    data = csv_bytes(
        "topic,email,job title", "Webinar,bo@example.com,CTO", "Demo,cy@example.com,Intern"
    )

    run(container, upload(container, "lead", data))  # drains the relay

    bo_lead, cy_lead = leads(container)
    bo, _ = contacts(container)
    scores = [score_of(container, lead.id, model_id) for lead in (bo_lead, cy_lead)]
    assert scores == [9, 0]
    assert members_of(container, segment_id) == {bo.id}
    with container.read_session() as session:
        started = set(session.scalars(select(ProcessInstance.lead_id)))
    assert started == {bo_lead.id, cy_lead.id}


def test_a_rule_on_lead_created_fires_once_per_lead_of_a_chunks_event(
    container: Container,
) -> None:
    """Automation takes the chunk's `LeadsCreated` apart: the orphan-lead rule (trigger
    `lead.created`) links each lead imported without a contact, once."""
    with container.uow() as uow:
        set_rule_enabled(get_rule_by_key(uow.session, ORPHAN_RULE_KEY).id, True, uow=uow)
        uow.commit()
    container.relay.drain()
    data = csv_bytes("topic,email", "Webinar,bo@example.com", "Demo,cy@example.com")

    run(container, upload(container, "lead", data, options={"create_contacts": False}))

    first, second = leads(container)
    bo, cy = contacts(container)
    assert (first.parent_contact_id, second.parent_contact_id) == (bo.id, cy.id)
    with container.read_session() as session:
        runs = session.scalars(select(RuleRun.event_part).where(RuleRun.status == "done"))
        assert sorted(runs) == [1, 2]


def test_a_leads_own_news_handled_before_its_chunks_event_leaves_it_where_that_news_took_it(
    container: Container,
) -> None:
    """The chunk's `LeadsCreated` has no subject, so another relay may handle a later
    event about one of its leads first: here the lead marked sales-ready by hand. The
    lead still ends in sales acceptance, with one process instance and one open task."""
    data = csv_bytes("topic,email", "Webinar,bo@example.com")
    with container.uow() as uow:
        job_id = do_start_import(upload(container, "lead", data), uow=uow).id
    run_job(container, job_id)  # the chunk's events wait in the outbox
    (lead,) = leads(container)
    chunk_events = _pending(container)
    with container.uow() as uow:
        update_lead(lead.id, {"sales_ready": True}, uow=uow)
        uow.commit()
    own_events = sorted(_pending(container) - chunk_events)
    assert own_events

    container.relay.run_batch(own_events, len(own_events))
    moved_by_its_own_news = stage_of(container, lead.id)
    container.relay.drain()  # the chunk's events come last

    assert moved_by_its_own_news == domain.SALES_ACCEPTANCE
    assert stage_of(container, lead.id) == domain.SALES_ACCEPTANCE
    assert _pending(container) == set()
    with container.read_session() as session:
        instances = session.scalars(
            select(ProcessInstance.id).where(ProcessInstance.lead_id == lead.id)
        ).all()
        open_tasks = session.scalars(
            select(Task.queue).where(Task.lead_id == lead.id, Task.status == "open")
        ).all()
    assert len(instances) == 1
    assert open_tasks == [domain.SALES_ACCEPTANCE_QUEUE]


def _pending(container: Container) -> set[int]:
    with container.read_session() as session:
        return set(
            session.scalars(select(OutboxMessage.id).where(OutboxMessage.dispatched_at.is_(None)))
        )
