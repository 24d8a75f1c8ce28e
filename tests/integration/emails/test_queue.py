"""Queueing messages: set-based, idempotent by key; the count the frequency cap reads."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from leadflow.bootstrap import Container
from leadflow.emails.models import EmailMessage
from leadflow.emails.services import MessageRequest, do_queue_messages, messages_sent_since
from leadflow.lib.clock import utcnow
from tests.integration.emails.helpers import make_contacts, make_template


def test_queueing_the_same_keys_again_queues_nothing_more(container: Container) -> None:
    template_id = make_template(container)
    contacts = make_contacts(container, 3)
    requests = [
        MessageRequest(
            template_id, contact_id, f"j1:t1:{contact_id}:1", journey_id=1, journey_tile="t1"
        )
        for contact_id in contacts
    ]

    first = do_queue_messages(requests, uow=container.uow())
    again = do_queue_messages(
        [*requests, MessageRequest(template_id, contacts[0], "other")], uow=container.uow()
    )

    assert (first, again) == (3, 1)
    with container.read_session() as session:
        rows = session.execute(
            select(
                EmailMessage.idempotency_key, EmailMessage.status, EmailMessage.journey_tile
            ).order_by(EmailMessage.id)
        ).all()
    assert [tuple(row) for row in rows] == [
        *[(f"j1:t1:{contact_id}:1", "queued", "t1") for contact_id in contacts],
        ("other", "queued", None),
    ]


def test_messages_sent_since_counts_per_contact(container: Container) -> None:
    template_id = make_template(container)
    first, second, third = make_contacts(container, 3)
    do_queue_messages(
        [
            MessageRequest(template_id, first, "a"),
            MessageRequest(template_id, first, "b"),
            MessageRequest(template_id, second, "c"),
            MessageRequest(template_id, second, "old"),
            MessageRequest(template_id, third, "skipped"),
        ],
        uow=container.uow(),
    )
    now = utcnow()
    with container.session_factory() as session, session.begin():
        session.execute(
            update(EmailMessage)
            .where(EmailMessage.idempotency_key == "old")
            .values(status="sent", sent_at=now - timedelta(days=3))
        )
        session.execute(
            update(EmailMessage)
            .where(EmailMessage.idempotency_key == "skipped")
            .values(status="skipped")
        )

    with container.read_session() as session:
        recent = messages_sent_since(session, [first, second, third], now - timedelta(days=1))
        week = messages_sent_since(session, [first, second, third], now - timedelta(days=7))

    assert recent == {first: 2, second: 1}
    assert week == {first: 2, second: 2}
