"""A use case opens and commits its unit; a face may hold the unit open around it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from leadflow.automation.events import RuleChanged
from leadflow.bootstrap import Container
from leadflow.bus import EVENT_TYPES, Event
from leadflow.contacts.events import ContactCreated
from leadflow.contacts.models import Contact
from leadflow.db.uow import UnitOfWork, in_own_transaction, insert_outbox_rows
from leadflow.outbox import OutboxMessage, event_subject
from leadflow.segments.events import ContactLeftSegment


def _create_contact(uow: UnitOfWork, email: str) -> Contact:
    with uow:
        contact = Contact(email=email)
        uow.session.add(contact)
        uow.session.flush()
        uow.publish(ContactCreated(contact_id=contact.id))
        uow.commit()
        return contact


def _count(container: Container, email: str) -> int:
    with container.uow() as uow:
        return (
            uow.session.scalar(
                select(func.count()).select_from(Contact).where(Contact.email == email)
            )
            or 0
        )


def test_a_use_case_joins_the_unit_its_face_holds_open(container: Container) -> None:
    with container.uow() as uow:
        contact = _create_contact(uow, "joined@example.com")
        assert uow.is_open
        # The session outlives the use case, so the face can still render its result.
        assert contact.email == "joined@example.com"
        assert uow.session.get(Contact, contact.id) is contact
    assert not uow.is_open
    assert _count(container, "joined@example.com") == 1


def test_a_use_case_opens_its_own_unit_when_nobody_holds_one(container: Container) -> None:
    uow = container.uow()
    _create_contact(uow, "alone@example.com")
    assert not uow.is_open
    assert _count(container, "alone@example.com") == 1
    with container.uow() as check:
        pending = check.session.scalar(select(func.count()).select_from(OutboxMessage))
    assert pending


def test_an_error_inside_the_joined_unit_rolls_back_at_the_outermost_exit(
    container: Container,
) -> None:
    try:
        with container.uow() as uow, uow:
            uow.session.add(Contact(email="lost@example.com"))
            uow.session.flush()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert not uow.is_open
    assert _count(container, "lost@example.com") == 0


def test_the_use_case_of_a_step_commits_what_the_step_did(container: Container) -> None:
    create = in_own_transaction(_add_contact)
    create("step@example.com", uow=container.uow())
    assert _count(container, "step@example.com") == 1


def test_the_use_case_of_a_step_wants_its_unit_by_name(container: Container) -> None:
    create = in_own_transaction(_add_contact)
    with pytest.raises(TypeError, match="uow="):
        create("nameless@example.com")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="uow="):
        create("wrong@example.com", uow=container)  # type: ignore[arg-type]
    assert _count(container, "nameless@example.com") == 0


def _add_contact(email: str, *, uow: UnitOfWork) -> Contact:
    contact = Contact(email=email)
    uow.session.add(contact)
    uow.session.flush()
    return contact


def test_a_commit_stores_its_events_in_order_with_their_payloads_and_subjects(
    container: Container,
) -> None:
    # More events than one page of a multi-row insert, with quotes and non-ASCII text
    # in the payloads and events without a subject among them.
    events: list[Event] = []
    for index in range(2_500):
        if index % 3 == 0:
            events.append(RuleChanged(rule_id=index))
        else:
            events.append(
                ContactLeftSegment(
                    segment_id=index % 7, contact_id=index, reason=f'n\'o "{index}" é'
                )
            )
    uow = container.uow()
    with uow:
        uow.publish(*events)
        ids = insert_outbox_rows(uow.session, events)
        uow.session.rollback()
    assert len(ids) == len(events) and ids == sorted(ids) and len(set(ids)) == len(ids)

    reported: list[list[int]] = []
    uow = container.uow()
    uow._committed = lambda outbox_ids, _subjects: reported.append(list(outbox_ids))
    with uow:
        uow.publish(*events)
        uow.commit()
    assert len(reported) == 1 and reported[0] == sorted(reported[0])
    with container.read_session() as session:
        rows = session.execute(
            select(
                OutboxMessage.id,
                OutboxMessage.event_type,
                OutboxMessage.payload,
                OutboxMessage.subject,
                OutboxMessage.depth,
                OutboxMessage.attempts,
                OutboxMessage.dispatched_at,
            )
            .where(OutboxMessage.id.in_(reported[0]))
            .order_by(OutboxMessage.id)
        ).all()
    assert [row.id for row in rows] == reported[0]
    assert [EVENT_TYPES[row.event_type].from_payload(row.payload) for row in rows] == events
    assert [row.subject for row in rows] == [event_subject(item) for item in events]
    assert {(row.depth, row.attempts, row.dispatched_at) for row in rows} == {(0, 0, None)}
