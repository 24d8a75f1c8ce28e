"""The demo ships the seed's example segment and a behaviour segment, live and built."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from leadflow.contacts.models import Contact
from leadflow.demo.segments import CONFERENCE_DECISION_MAKERS, ENGAGED_CLICKERS
from leadflow.interactions.models import Interaction
from leadflow.leads.models import Lead
from leadflow.segments.models import Segment
from tests.integration.segments.helpers import members_of
from tests.support.demo_fixtures import LoadedDemo

# Reads the demo loaded once per database (tests/support/demo_fixtures.py), on one worker.
pytestmark = [pytest.mark.xdist_group("demo"), pytest.mark.slow]


def test_the_demo_segments_are_live_with_the_contacts_they_describe(demo: LoadedDemo) -> None:
    container, lines = demo.container, demo.lines

    with container.read_session() as session:
        segments = {s.name: s for s in session.scalars(select(Segment))}
        example = segments[CONFERENCE_DECISION_MAKERS["name"]]
        clickers = segments[ENGAGED_CLICKERS["name"]]
        expected_example = set(
            session.scalars(
                select(Contact.id)
                .join(Lead, Lead.parent_contact_id == Contact.id)
                .where(Lead.topic == "Contoso Ltd Conference", Contact.role == "decision_maker")
            )
        )
        expected_clickers = set(
            session.scalars(
                select(Interaction.contact_id)
                .where(
                    Interaction.kind == "email_clicked",
                    Interaction.occurred_at >= demo.now - timedelta(days=30),
                )
                .group_by(Interaction.contact_id)
                .having(func.count() >= 2)
            )
        )
    assert (example.status, clickers.status) == ("live", "live")
    assert expected_example and members_of(container, example.id) == expected_example
    assert expected_clickers and members_of(container, clickers.id) == expected_clickers
    assert f"segment '{example.name}' live: {len(expected_example)} members" in lines
