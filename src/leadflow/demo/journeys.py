"""Demo additions: two emails and a live nurture journey on the seed's Contoso segment.

The journey sends the conference invitation, waits a minute, then gives each contact
ten minutes to open it: those who do get a lead (owned by the marketer), the others a
reminder. Waits are minutes, not days, so that `make run` shows the loop while one
watches: the worker sends the emails to the local mail catcher, opening one there
records the open, the condition takes the yes branch and a lead is created and scored.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.capture.models import MarketingEvent
from leadflow.demo.dataset import DemoLoaded
from leadflow.demo.segments import CONFERENCE_DECISION_MAKERS
from leadflow.emails.models import EmailTemplate
from leadflow.emails.services import create_template
from leadflow.journeys.models import Journey
from leadflow.journeys.services import create_journey, go_live, tile_counts
from leadflow.segments.models import Segment
from leadflow.users.domain import Role

JOURNEY_NAME = "Contoso conference nurture"
SENDER = {"from_name": "Contoso events team", "from_address": "events@contoso.example"}

INVITATION: dict[str, Any] = {
    "name": "Contoso conference: invitation",
    "subject": "{{ contact.first_name | default('Hello') }}, join us at the Contoso Ltd Conference",
    "html_body": (
        "<p>Hi {{ contact.first_name | default('there') }},</p>"
        "<p>The Contoso Ltd Conference brings together the people deciding on lead "
        "management this year{% if account.name %}, and we would love to see "
        "{{ account.name }} there{% endif %}.</p>"
        '<p><a href="{event_url}">See the programme and register</a></p>'
        "<p>The Contoso events team</p>"
    ),
}
REMINDER: dict[str, Any] = {
    "name": "Contoso conference: reminder",
    "subject": "A few seats left at the Contoso Ltd Conference",
    "html_body": (
        "<p>Hi {{ contact.first_name | default('there') }},</p>"
        "<p>In case our invitation got buried: a few seats are left.</p>"
        '<p><a href="{event_url}">Save your seat</a></p>'
        "<p>The Contoso events team</p>"
    ),
}


def definition(invitation_id: int, reminder_id: int) -> dict[str, Any]:
    """Email -> wait -> if opened -> create a lead, else a reminder -> end."""
    return {
        "start": "invite",
        "tiles": [
            {
                "id": "invite",
                "kind": "send_email",
                "label": "Invitation",
                "template_id": invitation_id,
                "next": "pause",
            },
            {
                "id": "pause",
                "kind": "wait",
                "label": "Give it a minute",
                "duration_minutes": 1,
                "next": "opened",
            },
            {
                "id": "opened",
                "kind": "condition",
                "label": "Opened the invitation?",
                "any_of": True,
                "checks": [{"kind": "email_opened", "template_id": invitation_id}],
                "timeout_minutes": 10,
                "yes": "lead",
                "no": "remind",
            },
            {
                "id": "lead",
                "kind": "create_lead",
                "label": "Lead for sales",
                "create_for": "contact",
                "next": "done",
            },
            {"id": "done", "kind": "end", "label": ""},
            {
                "id": "remind",
                "kind": "send_email",
                "label": "Reminder",
                "template_id": reminder_id,
                "next": "done_reminded",
            },
            {"id": "done_reminded", "kind": "end", "label": ""},
        ],
    }


def _template(container: Container, data: dict[str, Any], event_url: str) -> int:
    with container.uow() as uow:
        existing = uow.session.scalar(
            select(EmailTemplate.id).where(EmailTemplate.name == data["name"])
        )
        if existing is not None:
            return int(existing)
        body = data["html_body"].replace("{event_url}", event_url)
        template = create_template({**data, **SENDER, "html_body": body}, uow=uow)
        uow.commit()
        return template.id


def extend(container: Container, loaded: DemoLoaded) -> list[str]:
    with container.read_session() as session:
        if session.scalar(select(Journey.id).where(Journey.name == JOURNEY_NAME)) is not None:
            return []
        segment_id = session.scalar(
            select(Segment.id).where(Segment.name == CONFERENCE_DECISION_MAKERS["name"])
        )
        event_id = session.scalar(
            select(MarketingEvent.id).where(MarketingEvent.name == "Contoso Ltd Conference")
        )
    if segment_id is None:
        return []
    base = container.settings.public_url.rstrip("/")
    event_url = f"{base}/e/{event_id}" if event_id is not None else f"{base}/"
    invitation = _template(container, INVITATION, event_url)
    reminder = _template(container, REMINDER, event_url)
    with container.uow() as uow:
        journey = create_journey(
            JOURNEY_NAME,
            loaded.users.get(Role.MARKETER),
            {
                "target": "contact",
                "audience_segment_ids": [segment_id],
                "minimum_consent": "marketing",
                "time_zone": "UTC",
            },
            definition(invitation, reminder),
            uow=uow,
            description="Demo: invite the Contoso segment, create a lead for those who open.",
        )
        uow.commit()
        journey_id = journey.id
    with container.uow() as uow:
        go_live(journey_id, uow=uow)
        uow.commit()
    with container.read_session() as session:
        entered = sum(c.get("active", 0) for c in tile_counts(session, journey_id).values())
    return [
        "emails: 2 templates (invitation, reminder)",
        f"journey '{JOURNEY_NAME}' live: {entered} contacts entered "
        "(the worker sends its emails to the mail catcher)",
    ]
