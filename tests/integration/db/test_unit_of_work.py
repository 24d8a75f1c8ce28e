"""A use case opens and commits its unit; a face may hold the unit open around it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from leadflow.bootstrap import Container
from leadflow.contacts.events import ContactCreated
from leadflow.contacts.models import Contact
from leadflow.db.uow import UnitOfWork, in_own_transaction
from leadflow.outbox import OutboxMessage


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
