"""Importing leads: linked to contacts by email (created marketing-only when missing)
and to accounts by name; the events reach the rest of the system."""

from __future__ import annotations

from sqlalchemy import select

from leadflow.accounts.services import do_create_account
from leadflow.bootstrap import Container
from leadflow.contacts.services import do_create_contact
from leadflow.outbox import OutboxMessage
from tests.integration.imports.helpers import contacts, csv_bytes, leads, run, upload


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


def test_created_leads_and_contacts_publish_their_events(container: Container) -> None:
    data = csv_bytes("topic,email", "Webinar,bo@example.com", "Demo,cy@example.com")

    run(container, upload(container, "lead", data))

    with container.read_session() as session:
        kinds = sorted(session.scalars(select(OutboxMessage.event_type)))
    assert kinds.count("lead.created") == 2
    assert kinds.count("contact.created") == 2
