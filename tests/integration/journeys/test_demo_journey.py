"""The demo ships a live nurture journey on the seed's Contoso segment: invitation ->
wait a minute -> opened? -> a lead, else a reminder; and the loop runs end to end."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.contacts.models import Contact
from leadflow.demo.dataset import load_demo
from leadflow.demo.journeys import INVITATION, JOURNEY_NAME, REMINDER
from leadflow.demo.segments import CONFERENCE_DECISION_MAKERS
from leadflow.emails.models import EmailMessage, EmailTemplate
from leadflow.interactions.services import record_interactions
from leadflow.journeys.models import Journey, JourneyPosition
from leadflow.journeys.services import do_advance_batch
from leadflow.leads.models import Lead
from leadflow.lib.clock import utcnow
from leadflow.segments.models import Segment
from leadflow.users.models import User
from tests.integration.segments.helpers import members_of
from tests.support.demo_fixtures import LoadedDemo


def test_the_demo_journey_is_live_on_the_contoso_segment_for_contacts_who_consented(
    demo: LoadedDemo,
) -> None:
    container = demo.container
    with container.read_session() as session:
        journey = session.scalar(select(Journey).where(Journey.name == JOURNEY_NAME))
        segment_id = session.scalar(
            select(Segment.id).where(Segment.name == CONFERENCE_DECISION_MAKERS["name"])
        )
        owner = session.get(User, journey.owner_id) if journey and journey.owner_id else None
        templates = dict(session.execute(select(EmailTemplate.name, EmailTemplate.id)).all())
        entered = set(
            session.scalars(
                select(JourneyPosition.contact_id).where(
                    JourneyPosition.journey_id == (journey.id if journey else 0)
                )
            )
        )
    assert journey is not None and segment_id is not None and owner is not None
    members = members_of(container, segment_id)
    with container.read_session() as session:
        consented = set(
            session.scalars(
                select(Contact.id).where(
                    Contact.id.in_(members), Contact.consent.in_(["marketing", "profiling"])
                )
            )
        )
    assert (journey.status, journey.version) == ("live", 1)
    assert journey.settings["audience_segment_ids"] == [segment_id]
    assert owner.email.startswith("marketer@")
    tiles = {tile["id"]: tile for tile in journey.definition["tiles"]}
    assert [tiles[t]["kind"] for t in ("invite", "pause", "opened", "lead", "remind")] == [
        "send_email",
        "wait",
        "condition",
        "create_lead",
        "send_email",
    ]
    assert tiles["invite"]["template_id"] == templates[INVITATION["name"]]
    assert tiles["remind"]["template_id"] == templates[REMINDER["name"]]
    assert tiles["pause"]["duration_minutes"] == 1
    assert consented and entered == consented
    assert (
        f"journey '{JOURNEY_NAME}' live: {len(consented)} contacts entered "
        "(the worker sends its emails to the mail catcher)"
    ) in demo.lines


def test_the_demo_loop_sends_the_invitation_and_turns_an_open_into_a_lead(
    container: Container,
) -> None:
    load_demo(container)
    with container.read_session() as session:
        journey = session.scalar(select(Journey).where(Journey.name == JOURNEY_NAME))
        assert journey is not None
        entered = list(
            session.scalars(
                select(JourneyPosition.contact_id).where(JourneyPosition.journey_id == journey.id)
            )
        )
    now = utcnow()

    do_advance_batch(uow=container.uow(), now=now)
    with container.read_session() as session:
        invited = set(
            session.scalars(
                select(EmailMessage.contact_id).where(EmailMessage.journey_id == journey.id)
            )
        )
    assert invited == set(entered)
    # A minute later everyone waits on the condition; one of them opens the invitation.
    do_advance_batch(uow=container.uow(), now=now + timedelta(minutes=2))
    opener = sorted(entered)[0]
    with container.read_session() as session:
        invitation = session.scalar(
            select(EmailTemplate.id).where(EmailTemplate.name == INVITATION["name"])
        )
        leads_before = set(session.scalars(select(Lead.id).where(Lead.parent_contact_id == opener)))
    with container.uow() as uow:
        record_interactions(
            [
                {
                    "contact_id": opener,
                    "kind": "email_opened",
                    "target_id": str(invitation),
                    "occurred_at": (now + timedelta(minutes=2, seconds=30)).isoformat(),
                }
            ],
            uow=uow,
        )
        uow.commit()
    container.relay.drain()
    do_advance_batch(uow=container.uow(), now=now + timedelta(minutes=3))
    container.relay.drain()

    with container.read_session() as session:
        new_leads = list(
            session.execute(
                select(Lead.id, Lead.owner_id).where(
                    Lead.parent_contact_id == opener, Lead.id.not_in(leads_before or {0})
                )
            )
        )
        at = dict(
            session.execute(
                select(JourneyPosition.contact_id, JourneyPosition.status).where(
                    JourneyPosition.journey_id == journey.id
                )
            ).all()
        )
    [(_, owner_id)] = new_leads
    assert owner_id == journey.owner_id
    assert at[opener] == "done"
    assert {status for contact, status in at.items() if contact != opener} == {"waiting"}
