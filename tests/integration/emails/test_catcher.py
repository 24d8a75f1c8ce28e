"""The local mail catcher: a real SMTP server in this process keeps what it receives in
`caught_emails`, which the Mail catcher page lists."""

from __future__ import annotations

import smtplib
from collections.abc import Callable

from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.emails.catcher import MailCatcher, start_catcher, storing
from leadflow.emails.delivery import deliver_pending
from leadflow.emails.models import CaughtEmail
from leadflow.emails.services import MessageRequest, queue_messages
from tests.integration.emails.helpers import make_contacts, make_template


def test_the_catcher_keeps_each_message_it_receives(container: Container) -> None:
    raw = (
        b"From: a@x.test\r\nTo: b@y.test\r\nSubject: Hello there\r\n"
        b"Message-ID: <one@x.test>\r\n\r\nBody\r\n"
    )
    with (
        MailCatcher(storing(container)) as catcher,
        smtplib.SMTP("127.0.0.1", catcher.port) as smtp,
    ):
        smtp.sendmail("a@x.test", ["b@y.test", "c@y.test"], raw)

    with container.read_session() as session:
        [row] = session.scalars(select(CaughtEmail)).all()
    assert (row.mail_from, row.recipients, row.subject, row.message_id_header) == (
        "a@x.test",
        "b@y.test, c@y.test",
        "Hello there",
        "<one@x.test>",
    )
    assert "Body" in row.raw


def test_serve_runs_the_catcher_when_smtp_points_at_it_and_delivery_lands_there(
    make_container: Callable[..., Container], container: Container
) -> None:
    from leadflow.emails.catcher import free_port

    port = free_port()
    local = make_container(smtp_port=port, mail_catcher_port=port)
    elsewhere = make_container(smtp_host="smtp.example.com", smtp_port=587)
    catcher = start_catcher(local)
    assert catcher is not None
    assert start_catcher(elsewhere) is None
    try:
        template_id = make_template(local)
        [contact_id] = make_contacts(local, 1)
        with local.uow() as uow:
            queue_messages([MessageRequest(template_id, contact_id, "c1")], uow=uow)
            uow.session.commit()  # delivered below, not by the after-commit task
        totals = deliver_pending(local)
    finally:
        catcher.stop()

    assert totals.sent == 1
    with local.read_session() as session:
        [row] = session.scalars(select(CaughtEmail)).all()
    assert (row.recipients, row.subject) == ("ann0@example.test", "Welcome Ann0")
