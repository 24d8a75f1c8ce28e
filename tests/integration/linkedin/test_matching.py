"""LinkedIn leads go through capture's matching under the one active LinkedIn strategy."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from leadflow.bootstrap import Container
from leadflow.contacts.models import Contact
from leadflow.errors import Conflict, ValidationFailed
from leadflow.leads.models import Lead
from leadflow.leads.services import do_create_lead
from leadflow.linkedin import services
from leadflow.linkedin.models import LinkedInLeadStrategy, LinkedInResponse
from leadflow.registry.services import do_add_custom_field
from tests.support.fake_linkedin import FakeLinkedIn, lead_form, response, text_question
from tests.support.linkedin import DAY_MS, NOW_MS, connect, connection


def _leads(container: Container) -> list[Lead]:
    with container.read_session() as session:
        rows = list(session.scalars(select(Lead).order_by(Lead.id)))
        session.expunge_all()
        return rows


def _contacts(container: Container) -> int:
    with container.read_session() as session:
        return int(session.scalar(select(func.count()).select_from(Contact)) or 0)


def _active(container: Container, **changes: Any) -> None:
    with container.uow() as uow:
        active = services.active_strategy(uow)
        services.update_strategy(active.id, changes, uow=uow)
        uow.commit()


def _resync(container: Container, connection_id: int) -> None:
    with container.uow() as uow:
        services.do_start_sync(connection_id, backfill=True, uow=uow)


def test_a_response_updates_the_lead_its_email_matches_however_it_is_typed(
    container: Container, fake: FakeLinkedIn
) -> None:
    with container.uow() as uow:
        existing = do_create_lead({"email": "ada@example.com", "topic": "Webinar"}, uow=uow).id
    fake.responses.append(
        response("r1", 1, NOW_MS - DAY_MS, {11: "Ada", 13: "  ADA@Example.com ", 15: "CTO"})
    )

    connection_id = connect(container, fake)

    [lead] = _leads(container)
    assert (lead.id, lead.first_name, lead.job_title, lead.topic) == (
        existing,
        "Ada",
        "CTO",
        "Webinar",
    )
    assert lead.parent_contact_id is not None
    counts = connection(container, connection_id)["counts"]
    assert (counts["created"], counts["updated"]) == (0, 1)


def test_two_responses_of_one_person_make_one_lead_and_one_contact(
    container: Container, fake: FakeLinkedIn
) -> None:
    fake.responses.append(response("r1", 1, NOW_MS - 2 * DAY_MS, {13: "ada@example.com"}))
    fake.responses.append(response("r2", 1, NOW_MS - DAY_MS, {13: "ada@example.com", 15: "CEO"}))

    connect(container, fake)

    [lead] = _leads(container)
    assert (lead.job_title, _contacts(container)) == ("CEO", 1)


def test_always_create_lead_makes_a_lead_per_response_and_a_resync_adds_none(
    container: Container, fake: FakeLinkedIn
) -> None:
    _active(container, always_create_lead=True)
    fake.responses.append(response("r1", 1, NOW_MS - 2 * DAY_MS, {13: "ada@example.com"}))
    fake.responses.append(response("r2", 1, NOW_MS - DAY_MS, {13: "ada@example.com"}))
    connection_id = connect(container, fake)
    assert len(_leads(container)) == 2

    _resync(container, connection_id)

    assert (len(_leads(container)), _contacts(container)) == (2, 1)
    assert connection(container, connection_id)["counts"]["skipped"] == 2


def test_without_contact_creation_leads_stay_orphans(
    container: Container, fake: FakeLinkedIn
) -> None:
    _active(container, enable_contact_creation=False)
    fake.responses.append(response("r1", 1, NOW_MS - DAY_MS, {13: "ada@example.com"}))

    connect(container, fake)

    [lead] = _leads(container)
    assert (lead.parent_contact_id, _contacts(container)) == (None, 0)


def test_test_leads_are_flagged_and_only_synced_when_the_connection_asks(
    container: Container, fake: FakeLinkedIn
) -> None:
    fake.responses.append(
        response("t1", 1, NOW_MS - DAY_MS, {13: "test@example.com"}, test_lead=True)
    )
    fake.responses.append(response("r1", 1, NOW_MS - DAY_MS, {13: "real@example.com"}))

    connection_id = connect(container, fake)

    assert [lead.email for lead in _leads(container)] == ["real@example.com"]
    with container.read_session() as session:
        flagged = session.scalar(select(LinkedInResponse).where(LinkedInResponse.test_lead))
        assert flagged is not None and (flagged.outcome, flagged.lead_id) == ("skipped", None)
    with container.uow() as uow:
        services.do_delete_connection(connection_id, uow=uow)
    connect(container, fake, include_test_leads=True)
    assert sorted(lead.email or "" for lead in _leads(container)) == [
        "real@example.com",
        "test@example.com",
    ]


def test_custom_questions_map_by_question_id_and_choices_by_label(
    container: Container, fake: FakeLinkedIn
) -> None:
    with container.uow() as uow:
        do_add_custom_field({"entity": "lead", "name": "team_size", "type": "text"}, uow=uow)
    with container.uow() as uow:
        do_add_custom_field({"entity": "lead", "name": "question", "type": "long_text"}, uow=uow)
    container.relay.drain()  # the registry learns of the new fields
    connection_id = connect(container, fake)
    with container.read_session() as session:
        [form] = services.list_forms(session, connection_id)
    with container.uow() as uow:
        services.do_set_form_mappings(form.id, {"16": "team_size", "17": "question"}, uow=uow)
    fake.responses.append(
        response("r1", 1, NOW_MS - 60_000, {13: "ada@example.com", 16: [3], 17: "Price?"})
    )

    _resync(container, connection_id)

    [lead] = _leads(container)
    assert lead.custom == {"team_size": "51+", "question": "Price?"}


def test_predefined_types_map_a_form_in_any_language_alike(
    container: Container, fake: FakeLinkedIn
) -> None:
    fake.forms.append(
        lead_form(
            2,
            "Livre blanc",
            [text_question(21, "Prénom", "FIRST_NAME"), text_question(22, "E-mail", "EMAIL")],
        )
    )
    fake.responses.append(response("fr", 2, NOW_MS - DAY_MS, {21: "Amélie", 22: "a@example.fr"}))

    connect(container, fake)

    [lead] = _leads(container)
    assert (lead.first_name, lead.email, lead.topic) == ("Amélie", "a@example.fr", "Livre blanc")


def test_a_bad_answer_fails_its_response_only(container: Container, fake: FakeLinkedIn) -> None:
    fake.responses.append(response("bad", 1, NOW_MS - 2 * DAY_MS, {13: "not an email"}))
    fake.responses.append(response("good", 1, NOW_MS - DAY_MS, {13: "ada@example.com"}))

    connection_id = connect(container, fake)

    assert [lead.email for lead in _leads(container)] == ["ada@example.com"]
    counts = connection(container, connection_id)["counts"]
    assert (counts["created"], counts["failed"]) == (1, 1)
    with container.read_session() as session:
        failed = session.scalar(
            select(LinkedInResponse).where(LinkedInResponse.response_id == "bad")
        )
        assert failed is not None and failed.outcome == "failed" and failed.error
        assert _contacts(container) == 1


def test_activating_a_strategy_deactivates_the_one_before(container: Container) -> None:
    with container.uow() as uow:
        services.set_predefined_mappings({"LAST_NAME": "last_name"}, uow=uow)
        created = services.create_strategy(
            {"name": "Email and name", "fields": ["email", "last_name"], "activate": True},
            uow=uow,
        )
        uow.commit()
        created_id = created.id

    with container.read_session() as session:
        active = [row.id for row, _ in services.list_strategies(session) if row.is_active]
    assert active == [created_id]


def test_the_database_holds_at_most_one_active_strategy(container: Container) -> None:
    with container.uow() as uow:
        services.create_strategy({"name": "Second", "fields": ["email"]}, uow=uow)
        uow.commit()
    with pytest.raises(IntegrityError), container.uow() as uow:
        uow.session.execute(update(LinkedInLeadStrategy).values(is_active=True))
        uow.commit()


def test_a_strategy_matches_only_on_mapped_fields(container: Container) -> None:
    with pytest.raises(ValidationFailed) as caught, container.uow() as uow:
        services.create_strategy({"name": "By topic", "fields": ["topic"]}, uow=uow)
    assert caught.value.field == "fields"


def test_the_active_strategy_cannot_be_deleted_nor_its_field_unmapped(
    container: Container,
) -> None:
    with container.uow() as uow:
        active = services.active_strategy(uow).id
        uow.commit()
    with pytest.raises(Conflict), container.uow() as uow:
        services.delete_strategy(active, uow=uow)
    with pytest.raises(ValidationFailed) as caught, container.uow() as uow:
        services.set_predefined_mappings({"EMAIL": None, "WORK_EMAIL": None}, uow=uow)
    assert caught.value.field == "mappings"
