"""The demo gives the core demo's campaign leads their real page, form and events."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from leadflow.capture.models import MarketingEvent, MarketingForm, MarketingPage
from tests.support.demo_fixtures import LoadedDemo

pytestmark = [pytest.mark.xdist_group("demo"), pytest.mark.slow]


def test_the_demo_creates_the_landing_page_and_events_its_leads_name(demo: LoadedDemo) -> None:
    lines = demo.lines
    with demo.container.read_session() as session:
        [form] = session.scalars(select(MarketingForm)).all()
        [page] = session.scalars(select(MarketingPage)).all()
        events = list(session.scalars(select(MarketingEvent.name).order_by(MarketingEvent.id)))
    assert page.slug == "whitepaper" and form.campaign == "Whitepaper landing page"
    assert events == ["Contoso Ltd Conference", "Spring webinar"]
    assert f"capture: landing page /p/whitepaper (form {form.id}, page {page.id})" in lines
