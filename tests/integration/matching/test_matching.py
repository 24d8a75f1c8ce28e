"""Matching strategies and match-or-create on both databases."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from leadflow.bootstrap import Container
from leadflow.contacts.models import Contact
from leadflow.contacts.services import create_contact, update_contact
from leadflow.errors import Conflict, ValidationFailed
from leadflow.leads.models import Lead
from leadflow.lib.clock import utcnow
from leadflow.matching.services import (
    create_strategy,
    default_contact_strategy,
    default_lead_strategy,
    delete_strategy,
    list_strategies,
    match_contact,
    match_lead,
    update_strategy,
)


def _contact(container: Container, **values: object) -> int:
    with container.uow() as uow:
        row = create_contact(values, uow=uow)
        uow.commit()
        return row.id


def test_first_start_seeds_the_default_strategies(container: Container) -> None:
    with container.read_session() as session:
        contact_default = default_contact_strategy(session)
        lead_default = default_lead_strategy(session)
        names = [strategy.name for strategy in list_strategies(session)]
    assert contact_default is not None and contact_default.name == "Email"
    assert contact_default.fields == ["email"]
    assert lead_default is not None and lead_default.name == "Email and page"
    assert lead_default.fields == ["email", "marketing_page_id"]
    # "Email (LinkedIn leads)" is the lead strategy LinkedIn's sync starts with.
    assert sorted(names) == sorted(
        [
            "Email",
            "Email and page",
            "First and last name",
            "Email, first and last name",
            "Email (LinkedIn leads)",
        ]
    )


def test_seeding_again_leaves_renamed_strategies_alone(container: Container) -> None:
    with container.uow() as uow:
        strategy = default_contact_strategy(uow.session)
        assert strategy is not None
        update_strategy(strategy.id, {"name": "Work email"}, uow=uow)
        uow.commit()
    container.relay.drain()
    container.seed_defaults()
    with container.read_session() as session:
        names = [s.name for s in list_strategies(session, "contact")]
    assert "Work email" in names and "Email" not in names


def test_email_matches_trimmed_and_case_folded(container: Container) -> None:
    existing = _contact(container, email="Ada@Example.com")
    with container.uow() as uow:
        outcome = match_contact(uow, {"email": "  ada@EXAMPLE.com "})
        uow.commit()
    container.relay.drain()
    assert outcome.contact_id == existing
    assert outcome.created is False
    assert outcome.strategy_name == "Email"


def test_no_match_creates_with_the_create_values(container: Container) -> None:
    with container.uow() as uow:
        outcome = match_contact(
            uow,
            {"email": "new@example.com"},
            create_values={"email": "new@example.com", "first_name": "Neo"},
        )
        uow.commit()
    container.relay.drain()
    assert outcome.created is True
    with container.read_session() as session:
        row = session.get(Contact, outcome.contact_id)
        assert row is not None and row.first_name == "Neo"


def test_missing_strategy_value_creates_and_says_why(container: Container) -> None:
    _contact(container, first_name="Ada")
    with container.uow() as uow:
        outcome = match_contact(uow, {"first_name": "Ada"})
        uow.commit()
    container.relay.drain()
    assert outcome.created is True
    assert outcome.reason == "cannot match on 'Email': no value for email"


def test_without_create_nothing_is_written(container: Container) -> None:
    with container.uow() as uow:
        outcome = match_contact(uow, {"email": "nobody@example.com"}, create=False)
        uow.commit()
    container.relay.drain()
    assert outcome.contact_id is None and outcome.created is False
    with container.read_session() as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == 0


def test_several_matches_most_recently_updated_wins(container: Container) -> None:
    older = _contact(container, email="twin@example.com")
    newer = _contact(container, email="twin@example.com")
    third = _contact(container, email="twin@example.com")
    with container.uow() as uow:
        base = utcnow()
        uow.session.execute(
            update(Contact).where(Contact.id == older).values(updated_at=base + timedelta(hours=1))
        )
        uow.session.execute(
            update(Contact).where(Contact.id.in_([newer, third])).values(updated_at=base)
        )
        uow.commit()
    container.relay.drain()
    with container.uow() as uow:
        outcome = match_contact(uow, {"email": "twin@example.com"})
    assert outcome.contact_id == older
    # The tie between the other two breaks on the highest id.
    assert outcome.candidates == [third, newer]


def test_custom_strategy_on_name_and_custom_field(container: Container) -> None:
    with container.uow() as uow:
        from leadflow.registry.services import add_custom_field

        add_custom_field(
            {
                "entity": "contact",
                "name": "member_no",
                "label": "Member no",
                "type": "text",
                "matchable": True,
            },
            uow=uow,
        )
        uow.commit()
    container.relay.drain()
    existing = _contact(
        container, first_name="Ada", last_name="Lovelace", custom={"member_no": "A-17"}
    )
    with container.uow() as uow:
        strategy = create_strategy(
            {"name": "Member", "target": "contact", "fields": ["last_name", "member_no"]}, uow=uow
        )
        uow.commit()
        strategy_id = strategy.id
    with container.uow() as uow:
        outcome = match_contact(
            uow,
            {"last_name": " LOVELACE", "custom": {"member_no": "a-17"}},
            strategy_id=strategy_id,
        )
    assert outcome.contact_id == existing
    assert outcome.strategy_name == "Member"


def test_strategy_fields_must_be_matchable_fields_of_the_target(container: Container) -> None:
    with container.uow() as uow, pytest.raises(ValidationFailed) as caught:
        create_strategy({"name": "Bad", "target": "contact", "fields": ["no_such"]}, uow=uow)
    assert caught.value.field == "fields"


def test_making_a_strategy_default_moves_the_flag(container: Container) -> None:
    with container.uow() as uow:
        created = create_strategy(
            {"name": "Phone", "target": "contact", "fields": ["phone"], "is_default": True}, uow=uow
        )
        uow.commit()
    container.relay.drain()
    with container.read_session() as session:
        found = default_contact_strategy(session)
        assert found is not None and found.id == created.id
        assert [s.is_default for s in list_strategies(session, "contact")].count(True) == 1


def test_default_strategy_cannot_be_deleted(container: Container) -> None:
    with container.uow() as uow:
        strategy = default_contact_strategy(uow.session)
        assert strategy is not None
        with pytest.raises(Conflict):
            delete_strategy(strategy.id, uow=uow)


def test_lead_strategy_matches_email_and_page(container: Container) -> None:
    with container.uow() as uow:
        first = match_lead(uow, {"email": "a@example.com", "marketing_page_id": 1})
        again = match_lead(uow, {"email": "A@example.com", "marketing_page_id": 1})
        other_page = match_lead(uow, {"email": "a@example.com", "marketing_page_id": 2})
        uow.commit()
    container.relay.drain()
    assert first.created and not again.created and again.lead_id == first.lead_id
    assert other_page.created and other_page.lead_id != first.lead_id


def test_a_stale_key_is_taken_over_when_its_record_changed(container: Container) -> None:
    with container.uow() as uow:
        first = match_contact(uow, {"email": "moving@example.com"})
        uow.commit()
    container.relay.drain()
    assert first.contact_id is not None
    with container.uow() as uow:
        update_contact(first.contact_id, {"email": "moved@example.com"}, uow=uow)
        uow.commit()
    container.relay.drain()
    with container.uow() as uow:
        second = match_contact(uow, {"email": "moving@example.com"})
        uow.commit()
    container.relay.drain()
    assert second.created is True and second.contact_id != first.contact_id
    with container.uow() as uow:
        third = match_contact(uow, {"email": "moving@example.com"})
    assert third.contact_id == second.contact_id and third.created is False


def test_concurrent_matches_of_one_new_email_create_one_contact(container: Container) -> None:
    threads_count = 50
    barrier = threading.Barrier(threads_count)
    results: list[int | None] = []
    failures: list[BaseException] = []

    def submit() -> None:
        try:
            barrier.wait()
            with container.uow() as uow:
                outcome = match_contact(uow, {"email": "race@example.com"})
                match_lead(
                    uow,
                    {"email": "race@example.com", "marketing_page_id": 7},
                    create_values={
                        "email": "race@example.com",
                        "marketing_page_id": 7,
                        "parent_contact_id": outcome.contact_id,
                    },
                )
                uow.commit()
            container.relay.drain()
            results.append(outcome.contact_id)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with container.read_session() as session:
        contacts = list(session.scalars(select(Contact.id)))
        leads = list(session.scalars(select(Lead.id)))
    assert len(contacts) == 1 and len(leads) == 1
    assert set(results) == set(contacts)
