"""The whole loop, end to end: a segment's member enters a live journey, its email arrives
at a real SMTP server, its open pixel is fetched over HTTP, the if/then takes the yes
branch, a lead is created, a scoring model scores it and its stage moves."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from sqlalchemy import select

from leadflow import bootstrap as bootstrap_module
from leadflow.bootstrap import Container
from leadflow.emails.catcher import MailCatcher
from leadflow.leads.models import Lead
from leadflow.outbox import OutboxMessage
from leadflow.process.services import current_instance
from leadflow.web.app import create_app
from tests.conftest import empty_tables
from tests.integration.emails.conftest import Inbox
from tests.integration.journeys.helpers import (
    advance,
    history,
    make_contacts,
    make_journey,
    make_owner,
    make_segment,
    make_template,
)
from tests.integration.scoring.helpers import live_model, score_of
from tests.support.servers import serving

PUBLIC = "http://mail.test"


@pytest.fixture
def mailing(make_container: Callable[..., Container]) -> Iterator[tuple[Container, Inbox]]:
    """The app on an empty database, sending to an SMTP server this test started."""
    box = Inbox()
    catcher = MailCatcher(box.receive, check_recipient=box.check).start()
    built = make_container(smtp_port=catcher.port, public_url=PUBLIC)
    empty_tables(built)
    built.seed_defaults()
    built.relay.drain()
    with built.engine.begin() as connection:
        connection.execute(OutboxMessage.__table__.delete())
    bootstrap_module.install(built)
    try:
        yield built, box
    finally:
        bootstrap_module.install(None)
        catcher.stop()
        empty_tables(built)


def _wait_for(check: Callable[[], bool], container: Container, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        container.relay.drain()
        time.sleep(0.05)


def test_segment_to_email_to_open_to_lead_to_score_to_stage(
    mailing: tuple[Container, Inbox],
) -> None:
    container, inbox = mailing
    owner = make_owner(container)
    [contact] = make_contacts(container, 1)
    segment = make_segment(container, [contact], name="Contoso")
    welcome = make_template(container, name="Welcome", subject="Welcome {{ contact.first_name }}")
    model = live_model(
        container,
        entity_target="contact",
        sales_ready_threshold=25,
        rules=[
            {
                "name": "Opened an email",
                "points": 30,
                "conditions": [
                    {"type": "behaviour", "kind": "email_opened", "frequency": "at_least"}
                ],
            }
        ],
    )
    journey = make_journey(
        container,
        [
            {"id": "mail", "kind": "send_email", "template_id": welcome, "next": "opened"},
            {
                "id": "opened",
                "kind": "condition",
                "checks": [{"kind": "email_opened", "template_id": welcome}],
                "timeout_minutes": 60 * 24 * 3,
                "yes": "lead",
                "no": "end",
            },
            {"id": "lead", "kind": "create_lead", "next": "end"},
            {"id": "end", "kind": "end"},
        ],
        owner_id=owner,
        audience_segment_ids=[segment],
    )

    # A worker runs the first step: the email is queued, then delivered over SMTP.
    advance(container)
    _wait_for(lambda: len(inbox.messages) == 1, container)
    [caught] = inbox.messages
    assert caught.recipients == ("ann0.0@example.test",)
    assert caught.headers["Subject"] == "Welcome Ann0"
    html = caught.headers.get_body(("html",)).get_content()
    [pixel] = re.findall(rf'{re.escape(PUBLIC)}(/t/o/[^"]+)', html)

    # The reader's mail client fetches the pixel from the running app.
    with serving(create_app(container)) as url:
        response = httpx.get(f"{url}{pixel}", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/")

    # The open reaches the if/then: yes branch, a lead, a score, a stage.
    _wait_for(lambda: ("lead", "passed") in [h[:2] for h in history(container, contact)], container)
    assert [h[:2] for h in history(container, contact)] == [
        ("mail", "sent"),
        ("opened", "yes"),
        ("lead", "passed"),
        ("end", "passed"),
    ]
    with container.read_session() as session:
        [lead] = list(session.scalars(select(Lead)))
    assert (lead.parent_contact_id, lead.owner_id, lead.journey_id, lead.source) == (
        contact,
        owner,
        journey,
        "journey",
    )
    _wait_for(lambda: score_of(container, lead.id, model) == 30, container)
    with container.read_session() as session:
        instance = current_instance(session, lead.id)
        ready = session.get(Lead, lead.id)
        assert instance is not None and ready is not None
        assert ready.sales_ready is True
        assert instance.stage == "sales_acceptance"
