from typing import Any

import pytest
from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.contacts.events import ContactCreated, ContactUpdated
from leadflow.contacts.services import create_contact, delete_contact, update_contact
from leadflow.errors import Conflict, ErrorCode, ValidationFailed
from leadflow.interactions.models import Interaction
from leadflow.interactions.services import record_interactions
from leadflow.leads.models import Lead
from leadflow.leads.services import create_lead, update_lead
from leadflow.outbox import OutboxMessage
from leadflow.registry.services import add_custom_field


def _collect(container: Container, event_type: Any) -> list[Any]:
    seen: list[Any] = []
    container.bus.subscribe(event_type, seen.append, name=f"test.collect.{event_type.name}")
    return seen


def test_contact_email_and_phone_are_normalised(container: Container) -> None:
    with container.uow() as uow:
        contact = create_contact(
            {"email": " Grace.Hopper@Navy.MIL ", "phone": "(202) 555-0143", "country": "US"},
            uow=uow,
        )
        uow.commit()
    container.relay.drain()
    assert contact.email == "Grace.Hopper@Navy.MIL"
    assert contact.email_normalized == "grace.hopper@navy.mil"
    assert contact.phone == "+12025550143"
    assert contact.phone_raw == "(202) 555-0143"


def test_an_unparseable_phone_is_kept_as_given(container: Container) -> None:
    with container.uow() as uow:
        contact = create_contact({"phone": "ask reception"}, uow=uow)
        uow.commit()
    container.relay.drain()
    assert (contact.phone, contact.phone_raw) == ("ask reception", "ask reception")


def test_creating_and_changing_publish_events_after_commit(container: Container) -> None:
    created = _collect(container, ContactCreated)
    updated = _collect(container, ContactUpdated)
    with container.uow() as uow:
        contact = create_contact({"email": "ada@example.com"}, uow=uow)
        assert created == []
        uow.commit()
    container.relay.drain()
    with container.uow() as uow:
        update_contact(contact.id, {"job_title": "Analyst", "email": "ada@example.com"}, uow=uow)
        uow.commit()
    container.relay.drain()
    assert created == [ContactCreated(contact.id)]
    assert updated == [ContactUpdated(contact.id, ("job_title",))]
    with container.read_session() as session:
        pending = session.scalars(
            select(OutboxMessage).where(OutboxMessage.dispatched_at.is_(None))
        ).all()
    assert pending == []


def test_a_rolled_back_change_publishes_nothing(container: Container) -> None:
    created = _collect(container, ContactCreated)
    with container.uow() as uow:
        create_contact({"email": "ghost@example.com"}, uow=uow)
    with container.read_session() as session:
        assert session.scalars(select(OutboxMessage)).all() == []
    assert created == []


def test_deleting_a_contact_that_leads_point_to_is_refused(container: Container) -> None:
    with container.uow() as uow:
        contact = create_contact({"email": "lin@example.com"}, uow=uow)
        lead = create_lead({"topic": "Demo", "parent_contact_id": contact.id}, uow=uow)
        uow.commit()
    container.relay.drain()
    with container.uow() as uow, pytest.raises(Conflict) as caught:
        delete_contact(contact.id, uow=uow)
    assert caught.value.code is ErrorCode.HAS_DEPENDENTS
    assert caught.value.extra["lead_ids"] == [lead.id]


def test_deleting_with_unlink_keeps_the_leads_without_a_contact(container: Container) -> None:
    with container.uow() as uow:
        contact = create_contact({"email": "lin@example.com"}, uow=uow)
        lead = create_lead({"topic": "Demo", "parent_contact_id": contact.id}, uow=uow)
        record_interactions([{"contact_id": contact.id, "kind": "email_opened"}], uow=uow)
        uow.commit()
    container.relay.drain()
    with container.uow() as uow:
        delete_contact(contact.id, unlink_leads=True, uow=uow)
        uow.commit()
    container.relay.drain()
    with container.read_session() as session:
        kept = session.get(Lead, lead.id)
        assert kept is not None and kept.parent_contact_id is None
        assert session.scalars(select(Interaction)).all() == []


def test_a_reference_to_a_missing_record_names_the_field(container: Container) -> None:
    with container.uow() as uow, pytest.raises(ValidationFailed) as caught:
        create_lead({"topic": "x", "parent_account_id": 424242}, uow=uow)
    assert caught.value.field == "parent_account_id"


def test_status_reason_must_fit_the_status(container: Container) -> None:
    with container.uow() as uow:
        lead = create_lead({"topic": "x"}, uow=uow)
        uow.commit()
    container.relay.drain()
    assert (lead.status, lead.status_reason) == ("open", "new")
    with container.uow() as uow, pytest.raises(ValidationFailed) as caught:
        update_lead(lead.id, {"status_reason": "lost"}, uow=uow)
    assert caught.value.field == "status_reason"
    with container.uow() as uow:
        changed = update_lead(lead.id, {"status": "disqualified"}, uow=uow)
        uow.commit()
    container.relay.drain()
    assert (changed.status, changed.status_reason) == ("disqualified", "lost")


def test_custom_fields_are_typed_and_stored(container: Container) -> None:
    with container.uow() as uow:
        add_custom_field({"entity": "lead", "name": "seats", "type": "integer"}, uow=uow)
        uow.commit()
    container.relay.drain()
    with container.uow() as uow:
        lead = create_lead({"topic": "x", "custom": {"seats": "25"}}, uow=uow)
        uow.commit()
    container.relay.drain()
    assert lead.custom == {"seats": 25}
    with container.uow() as uow, pytest.raises(ValidationFailed) as caught:
        create_lead({"topic": "x", "custom": {"seats": "many"}}, uow=uow)
    assert caught.value.field == "seats"


def test_a_batch_with_one_bad_item_writes_nothing(container: Container) -> None:
    with container.uow() as uow:
        contact = create_contact({"email": "batch@example.com"}, uow=uow)
        uow.commit()
    container.relay.drain()
    items = [{"contact_id": contact.id, "kind": "email_opened"}] * 3
    items.append({"contact_id": 999_999, "kind": "email_opened"})
    with container.uow() as uow, pytest.raises(ValidationFailed) as caught:
        record_interactions(items, uow=uow)
    assert caught.value.field == "items[3].contact_id"
    with container.read_session() as session:
        assert session.scalars(select(Interaction)).all() == []


def test_a_field_that_always_holds_a_value_cannot_be_emptied(container: Container) -> None:
    with container.uow() as uow:
        contact = create_contact({"email": "n@example.com"}, uow=uow)
        uow.commit()
    container.relay.drain()
    with container.uow() as uow, pytest.raises(ValidationFailed) as caught:
        update_contact(contact.id, {"consent": None}, uow=uow)
    assert (caught.value.code, caught.value.field) == (ErrorCode.REQUIRED, "consent")


def test_a_lead_linked_to_a_contact_takes_the_contacts_account(container: Container) -> None:
    from leadflow.accounts.services import create_account

    with container.uow() as uow:
        account = create_account({"name": "Contoso"}, uow=uow)
        other = create_account({"name": "Fabrikam"}, uow=uow)
        contact = create_contact({"email": "a@contoso.example", "account_id": account.id}, uow=uow)
        inherited = create_lead({"topic": "x", "parent_contact_id": contact.id}, uow=uow)
        explicit = create_lead(
            {"topic": "y", "parent_contact_id": contact.id, "parent_account_id": other.id},
            uow=uow,
        )
        uow.commit()
    container.relay.drain()
    assert inherited.parent_account_id == account.id
    assert explicit.parent_account_id == other.id


def test_a_large_batch_is_handled_in_the_background(container: Container) -> None:
    from leadflow.interactions.events import InteractionRecorded

    seen: list[InteractionRecorded] = []
    container.bus.subscribe(InteractionRecorded, seen.append, name="test.collect.batch")
    with container.uow() as uow:
        contact = create_contact({"email": "big@example.com"}, uow=uow)
        uow.commit()
    container.relay.drain()
    with container.uow() as uow:
        record_interactions([{"contact_id": contact.id, "kind": "page_visited"}] * 1200, uow=uow)
        uow.commit()
    container.relay.drain()
    # Tests run Huey in immediate mode, so the queued relay pass has already run.
    assert len(seen) == 1200
    assert container.relay.pending_count() == 0


def test_a_batch_returns_each_rows_id_in_order_in_a_fixed_number_of_statements(
    container: Container,
) -> None:
    from tests.support.queries import count_queries

    with container.uow() as uow:
        contacts = [create_contact({"last_name": f"N{index}"}, uow=uow) for index in range(3)]
        uow.commit()
        ids = [contact.id for contact in contacts]
    container.relay.drain()

    def batch(size: int) -> list[dict[str, Any]]:
        return [
            {"contact_id": ids[index % 3], "kind": f"kind_{index}", "target_id": str(index)}
            for index in range(size)
        ]

    counts = []
    for size in (2, 40):
        items = batch(size)
        with container.uow() as uow, count_queries(container.engine) as statements:
            recorded = record_interactions(items, uow=uow)
            uow.commit()
        counts.append(len(statements))
        with container.read_session() as session:
            stored = {
                row.id: (row.contact_id, row.kind, row.target_id)
                for row in session.scalars(
                    select(Interaction).where(
                        Interaction.id.in_([each.interaction_id for each in recorded])
                    )
                )
            }
        assert [stored[each.interaction_id] for each in recorded] == [
            (item["contact_id"], item["kind"], item["target_id"]) for item in items
        ]
        assert [(each.contact_id, each.kind) for each in recorded] == [
            (item["contact_id"], item["kind"]) for item in items
        ]
    assert counts[0] == counts[1]
