"""Events: registration matching, one lead per contact per event, capacity and check-in."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.capture.errors import EventFull
from leadflow.capture.models import EventRegistration
from leadflow.capture.services import check_in, create_event, register_for_event
from leadflow.contacts.models import Contact
from leadflow.contacts.services import create_contact
from leadflow.errors import ValidationFailed
from leadflow.interactions.models import Interaction
from leadflow.leads.models import Lead


def _event(container: Container, **values: Any) -> int:
    with container.uow() as uow:
        row = create_event(
            {
                "name": "Summit",
                "starts_at": "2026-12-01T09:00:00+00:00",
                "ends_at": "2026-12-01T17:00:00+00:00",
                **values,
            },
            uow=uow,
        )
        uow.commit()
        return row.id


def _register(container: Container, event_id: int, **person: Any) -> tuple[EventRegistration, bool]:
    with container.uow() as uow:
        result = register_for_event(event_id, person, uow=uow)
        uow.commit()
        return result


def _all(container: Container, model: Any) -> list[Any]:
    with container.read_session() as session:
        return list(session.scalars(select(model).order_by(model.id)))


def test_registration_creates_contact_lead_and_interaction(container: Container) -> None:
    event_id = _event(container, campaign="Q4")
    registration, created = _register(
        container, event_id, email="ada@example.com", first_name="Ada", company="AE"
    )
    [contact] = _all(container, Contact)
    [lead] = _all(container, Lead)
    [interaction] = _all(container, Interaction)
    assert created and registration.contact_id == contact.id and registration.lead_id == lead.id
    assert (lead.source, lead.event_id, lead.parent_contact_id, lead.campaign) == (
        "event",
        event_id,
        contact.id,
        "Q4",
    )
    assert (interaction.kind, interaction.target_id, interaction.lead_id) == (
        "event_registered",
        str(event_id),
        lead.id,
    )


def test_registering_again_does_not_make_a_second_lead(container: Container) -> None:
    event_id = _event(container)
    first, _ = _register(container, event_id, email="ada@example.com")
    again, created = _register(container, event_id, email="ADA@example.com")
    assert not created and again.id == first.id
    assert len(_all(container, Lead)) == 1


def test_a_second_event_gets_its_own_lead(container: Container) -> None:
    first_event, second_event = _event(container), _event(container, name="Meetup")
    _register(container, first_event, email="ada@example.com")
    _register(container, second_event, email="ada@example.com")
    assert len(_all(container, Contact)) == 1
    assert sorted(lead.event_id for lead in _all(container, Lead)) == [first_event, second_event]


def test_matching_on_names_finds_the_contact_without_email(container: Container) -> None:
    with container.uow() as uow:
        existing = create_contact({"first_name": "Ada", "last_name": "Lovelace"}, uow=uow).id
        uow.commit()
    event_id = _event(container, match_on="name")
    registration, _ = _register(container, event_id, first_name="ada", last_name="LOVELACE")
    assert registration.contact_id == existing


def test_name_matching_requires_both_names(container: Container) -> None:
    event_id = _event(container, match_on="name")
    with pytest.raises(ValidationFailed) as caught:
        _register(container, event_id, first_name="Ada")
    assert caught.value.field == "last_name"


def test_without_create_leads_no_lead_is_made(container: Container) -> None:
    event_id = _event(container, create_leads=False)
    registration, _ = _register(container, event_id, email="ada@example.com")
    assert registration.lead_id is None and _all(container, Lead) == []


def test_a_full_event_refuses_then_waitlists(container: Container) -> None:
    event_id = _event(container, capacity=1)
    _register(container, event_id, email="first@example.com")
    with pytest.raises(EventFull) as caught:
        _register(container, event_id, email="second@example.com")
    assert caught.value.http_status == 409 and caught.value.code == "event_full"
    waiting, _ = _register(container, event_id, email="second@example.com", join_waitlist=True)
    assert waiting.status == "waitlisted"


def test_check_in_records_attendance_once(container: Container) -> None:
    event_id = _event(container)
    registration, _ = _register(container, event_id, email="ada@example.com")
    for _ in range(2):
        with container.uow() as uow:
            check_in(event_id, registration.id, uow=uow)
            uow.commit()
    attended = [row for row in _all(container, Interaction) if row.kind == "event_attended"]
    [only] = attended
    assert only.target_id == str(event_id) and only.lead_id == registration.lead_id


def test_an_event_cannot_end_before_it_starts(container: Container) -> None:
    with container.uow() as uow, pytest.raises(ValidationFailed) as caught:
        create_event(
            {"name": "X", "starts_at": "2026-12-02T09:00:00", "ends_at": "2026-12-01T09:00:00"},
            uow=uow,
        )
    assert caught.value.field == "ends_at"


def test_concurrent_registrations_of_one_person_make_one_registration_and_lead(
    container: Container,
) -> None:
    import threading

    event_id = _event(container)
    count = 20
    barrier = threading.Barrier(count)
    failures: list[BaseException] = []

    def register() -> None:
        try:
            barrier.wait()
            _register(container, event_id, email="race@example.com")
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=register) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(_all(container, EventRegistration)) == 1
    assert len(_all(container, Lead)) == 1 and len(_all(container, Contact)) == 1
