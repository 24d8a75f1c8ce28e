"""Delivery over SMTP to a real server the test starts: headers, parts, interactions, consent
and do-not-email at send time, hard bounces, the rate limit."""

from __future__ import annotations

import re
import time

from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.contacts.models import Contact
from leadflow.emails.delivery import DeliveryOptions, deliver_pending
from leadflow.emails.domain import message_id_header
from leadflow.emails.models import EmailMessage
from leadflow.emails.services import MessageRequest, do_queue_messages
from leadflow.interactions.models import Interaction
from tests.integration.emails.conftest import Inbox
from tests.integration.emails.helpers import make_contacts, make_template


def _statuses(container: Container) -> dict[int, tuple[str, str | None]]:
    with container.read_session() as session:
        rows = session.execute(
            select(EmailMessage.contact_id, EmailMessage.status, EmailMessage.skip_reason)
        ).all()
    return {contact_id: (status, reason) for contact_id, status, reason in rows}


def test_a_queued_message_arrives_with_its_headers_and_parts(
    mail_container: Container, inbox: tuple[Inbox, int]
) -> None:
    box, _ = inbox
    template_id = make_template(mail_container)
    [contact_id] = make_contacts(mail_container, 1)

    # After the commit, the deliver task runs (immediately in tests).
    do_queue_messages(
        [MessageRequest(template_id, contact_id, "j7:t1:c1:1", journey_id=7, journey_tile="t1")],
        uow=mail_container.uow(),
    )

    [caught] = box.messages
    mime = caught.headers
    assert caught.recipients == ("ann0@example.test",)
    assert mime["Subject"] == "Welcome Ann0"
    assert mime["From"] == "Contoso Marketing <news@contoso.example>"
    assert mime["Message-ID"] == message_id_header("j7:t1:c1:1", "news@contoso.example")
    # One http(s) address and no mailto: nobody reads an unsubscribe mailbox.
    assert re.fullmatch(r"<http://mail\.test/u/[^>,]+>", mime["List-Unsubscribe"])
    assert mime["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mime.get_content_type() == "multipart/alternative"
    text = mime.get_body(("plain",)).get_content()
    html = mime.get_body(("html",)).get_content()
    assert "Hello Ann0," in text
    assert "Unsubscribe: http://mail.test/u/" in text
    assert 'style="color: #123456;"' in html  # the <style> rule, inlined
    assert "http://mail.test/t/c/" in html and "http://mail.test/t/o/" in html
    assert "https://example.com/guide" not in html  # the link goes through the redirect
    with mail_container.read_session() as session:
        message = session.scalars(select(EmailMessage)).one()
        interaction = session.scalars(select(Interaction)).one()
    assert (message.status, message.attempts, message.to_address) == (
        "sent",
        1,
        "ann0@example.test",
    )
    assert message.message_id_header == mime["Message-ID"]
    assert (interaction.kind, interaction.contact_id, interaction.target_id) == (
        "email_sent",
        contact_id,
        str(template_id),
    )
    assert interaction.data == {"message_id": message.id, "journey_id": 7, "journey_tile": "t1"}


def test_consent_and_do_not_email_are_read_at_send_time(
    mail_container: Container, inbox: tuple[Inbox, int]
) -> None:
    box, _ = inbox
    template_id = make_template(mail_container)
    allowed, blocked, no_consent = make_contacts(mail_container, 3)
    # Queued while the contacts could still be mailed...
    with mail_container.session_factory() as session, session.begin():
        session.execute(
            Contact.__table__.update().where(Contact.id == -1).values(do_not_email=True)
        )
    from leadflow.emails.services import queue_messages

    with mail_container.uow() as uow:
        queue_messages(
            [
                MessageRequest(
                    template_id, contact_id, f"k{contact_id}", minimum_consent="marketing"
                )
                for contact_id in (allowed, blocked, no_consent)
            ],
            uow=uow,
        )
        # ...and changed before delivery.
        uow.session.get(Contact, blocked).do_not_email = True  # type: ignore[union-attr]
        uow.session.get(Contact, no_consent).consent = "transactional"  # type: ignore[union-attr]
        uow.commit()

    assert [caught.recipients for caught in box.messages] == [("ann0@example.test",)]
    assert _statuses(mail_container) == {
        allowed: ("sent", None),
        blocked: ("skipped", "do_not_email"),
        no_consent: ("skipped", "no_consent"),
    }


def test_a_hard_bounce_marks_the_message_and_the_address(
    mail_container: Container, inbox: tuple[Inbox, int]
) -> None:
    box, _ = inbox
    box.refuse["ann1@example.test"] = "550 5.1.1 No such user"
    template_id = make_template(mail_container)
    good, bad = make_contacts(mail_container, 2)

    do_queue_messages(
        [MessageRequest(template_id, good, "a"), MessageRequest(template_id, bad, "b")],
        uow=mail_container.uow(),
    )
    do_queue_messages([MessageRequest(template_id, bad, "again")], uow=mail_container.uow())

    assert [caught.recipients for caught in box.messages] == [("ann0@example.test",)]
    with mail_container.read_session() as session:
        rows = session.execute(
            select(EmailMessage.idempotency_key, EmailMessage.status, EmailMessage.error).order_by(
                EmailMessage.id
            )
        ).all()
        flags = dict(session.execute(select(Contact.id, Contact.do_not_email)).all())
    assert [tuple(row) for row in rows] == [
        ("a", "sent", None),
        ("b", "bounced", "550 5.1.1 No such user"),
        ("again", "skipped", None),
    ]
    assert flags == {good: False, bad: True}


def test_the_rate_limit_spaces_the_messages(
    make_container: Container, mail_container: Container, inbox: tuple[Inbox, int]
) -> None:
    box, port = inbox
    template_id = make_template(mail_container)
    contacts = make_contacts(mail_container, 6)
    with mail_container.uow() as uow:
        from leadflow.emails.services import queue_messages

        queue_messages(
            [MessageRequest(template_id, contact_id, f"r{contact_id}") for contact_id in contacts],
            uow=uow,
        )
        uow.session.commit()  # no after-commit delivery: this test delivers itself
    limited = make_container(smtp_port=port, smtp_rate_per_second=20.0)

    started = time.monotonic()
    totals = deliver_pending(limited, DeliveryOptions(batch_size=100))
    elapsed = time.monotonic() - started

    assert (totals.sent, len(box.messages)) == (6, 6)
    assert elapsed >= 5 / 20.0  # six messages at 20 a second: five gaps of 50 ms
