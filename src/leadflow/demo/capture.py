"""Demo additions: the landing page and the events the core demo's leads came from.

The core demo's campaigns name event 1 (the conference), event 2 (the spring
webinar) and page/form 1 (the whitepaper landing page); on a fresh database these
are created with exactly those ids, so the demo leads point at real records and the
landing page is live at /p/whitepaper. No people are added: the core demo's counts
stay what its summary says.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from leadflow.bootstrap import Container
from leadflow.capture.services import create_event, create_form
from leadflow.demo.dataset import DemoLoaded
from leadflow.demo.plan import CONFERENCE, CONFERENCE_DAY, WEBINAR, WEBINAR_DAY, WHITEPAPER
from leadflow.lib.clock import utcnow
from leadflow.users.domain import Role


def _day(days_ago: int, hour: int) -> datetime:
    return (utcnow() - timedelta(days=days_ago)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )


def extend(container: Container, loaded: DemoLoaded) -> list[str]:
    owner = loaded.users.get(Role.MARKETER)
    with container.uow() as uow:
        conference = create_event(
            {
                "name": CONFERENCE.topic,
                "starts_at": _day(CONFERENCE_DAY, 9),
                "ends_at": _day(CONFERENCE_DAY, 17),
                "capacity": 400,
                "venue": "Contoso conference centre",
                "campaign": CONFERENCE.campaign,
                "owner_id": owner,
            },
            uow=uow,
        )
        webinar = create_event(
            {
                "name": WEBINAR.campaign,
                "starts_at": _day(WEBINAR_DAY, 15),
                "ends_at": _day(WEBINAR_DAY, 16),
                "venue": "Online",
                "campaign": WEBINAR.campaign,
                "owner_id": owner,
            },
            uow=uow,
        )
        form = create_form(
            {
                "name": "Whitepaper download",
                "slug": "whitepaper",
                "title": WHITEPAPER.topic,
                "intro": "Get the whitepaper by email: who scores leads, and how sales uses them.",
                "campaign": WHITEPAPER.campaign,
                "owner_id": owner,
            },
            uow=uow,
        )
        lines = [
            f"capture: landing page /p/whitepaper (form {form.id}, page {form.page_id})",
            f"capture: events {conference.id} ({conference.name}), {webinar.id} ({webinar.name})",
        ]
        uow.commit()
    return lines
