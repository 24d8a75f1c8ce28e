"""Reading another concept's records by entity name (`leadflow.records.lookup`), both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from leadflow.accounts.services import create_account
from leadflow.bootstrap import Container
from leadflow.contacts.models import Contact
from leadflow.contacts.services import create_contact
from leadflow.errors import ValidationFailed
from leadflow.leads.models import Lead
from leadflow.leads.services import create_lead
from leadflow.opportunities.services import create_opportunity
from leadflow.records.lookup import (
    column,
    count_records,
    find_record,
    missing_record_ids,
    record_class,
    record_rows,
)


def test_an_entity_name_gives_its_mapped_class() -> None:
    assert record_class("contact") is Contact
    assert record_class("lead") is Lead
    with pytest.raises(KeyError):
        record_class("no_such_entity")


def test_records_are_found_counted_and_read_by_entity_name(container: Container) -> None:
    with container.uow() as uow:
        ada = create_contact({"email": "ada@example.test"}, uow=uow).id
        open_lead = create_lead({"topic": "Open", "parent_contact_id": ada}, uow=uow).id
        closed = create_lead({"topic": "Closed"}, uow=uow)
        closed.status = "disqualified"
        uow.commit()
    with container.read_session() as session:
        assert find_record(session, "contact", ada).email == "ada@example.test"
        assert find_record(session, "contact", ada + 1000) is None
        assert count_records(session, "contact") == 1
        assert missing_record_ids(session, "lead", {open_lead, closed.id, 999_999}) == {999_999}
        assert missing_record_ids(session, "lead", set()) == set()
        rows = record_rows(
            session, "lead", [open_lead, closed.id], column("lead", "status") == "open"
        )
        assert list(rows) == [open_lead]
        assert rows[open_lead]["topic"] == "Open"


def test_a_record_the_session_holds_counts_as_present_without_a_query(
    container: Container,
) -> None:
    with container.uow() as uow:
        contact = create_contact({"email": "new@example.test"}, uow=uow)
        statements: list[str] = []

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        engine = uow.session.get_bind()
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert missing_record_ids(uow.session, "contact", {contact.id}) == set()
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert statements == []
        # Not held and not stored: a query finds it missing.
        assert missing_record_ids(uow.session, "contact", {contact.id + 10}) == {contact.id + 10}


def test_references_to_registered_entities_are_checked_from_the_registry(
    container: Container,
) -> None:
    """Opportunities declare no models for their references: the field's declared entity
    is looked up, and a missing one is refused with the field named."""
    with container.uow() as uow:
        account = create_account({"name": "Contoso"}, uow=uow).id
        contact = create_contact({"email": "c@example.test"}, uow=uow).id
        lead = create_lead({"topic": "T"}, uow=uow).id
        opportunity = create_opportunity(
            {
                "name": "Deal",
                "contact_id": contact,
                "account_id": account,
                "originating_lead_id": lead,
            },
            uow=uow,
        )
        assert opportunity.account_id == account
        for name, value in (
            ("contact_id", contact + 100),
            ("account_id", account + 100),
            ("originating_lead_id", lead + 100),
        ):
            with pytest.raises(ValidationFailed) as refused:
                create_opportunity({"name": "Bad", name: value}, uow=uow)
            assert refused.value.field == name
        with pytest.raises(ValidationFailed) as refused:
            create_contact({"email": "d@example.test", "account_id": account + 100}, uow=uow)
        assert refused.value.field == "account_id"
        with pytest.raises(ValidationFailed) as refused:
            create_lead({"topic": "U", "parent_contact_id": contact + 100}, uow=uow)
        assert refused.value.field == "parent_contact_id"
