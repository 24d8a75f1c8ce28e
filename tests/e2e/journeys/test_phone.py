"""Every emails and journeys page at 1280 and 390 pixels wide: nothing wider than the
window, and no list scrolling sideways inside its card (on a phone the lists stack);
the designer's create-task tile picks its owner from the users by name."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from leadflow.bootstrap import Container
from leadflow.emails.services import MessageRequest, do_queue_messages
from leadflow.journeys.services import advance
from tests.integration.journeys.helpers import make_journey, make_owner
from tests.support.browser import sign_in
from tests.support.factories import user_with_token
from tests.web.journeys.helpers import make_audience, make_email

pytestmark = pytest.mark.browser

# How far a list may scroll sideways inside its box (rounding of sub-pixel widths).
SLACK = 1


def _look(page: Page, name: str, folder: Path) -> None:
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow}px wider than a {width}px window"
        if width == 390:
            sideways = page.evaluate(
                "Array.from(document.querySelectorAll('.table-wrap'))"
                ".map(box => box.scrollWidth - box.clientWidth)"
            )
            assert all(extra <= SLACK for extra in sideways), (
                f"{name}: a list scrolls sideways by {sideways} px at {width} px"
            )
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_emails_and_journeys_page_fits_a_phone(
    live_server: str, browser: Browser, container: Container, tmp_path: Path
) -> None:
    folder = Path(os.environ.get("LEADFLOW_SCREENSHOTS") or tmp_path)
    segment = make_audience(
        container,
        "Contoso decision makers",
        [("Ada", "ada.lovelace@contoso-industries.example"), ("Bob", "bob@example.test")],
    )
    invite = make_email(
        container, "Conference invitation, autumn edition", subject="You are invited, {{ x }}"
    )
    olive = make_owner(container, "olive@example.test")
    journey = make_journey(
        container,
        [
            {"id": "mail", "kind": "send_email", "template_id": invite, "next": "task"},
            {"id": "task", "kind": "create_task", "title": "Call them", "next": None},
        ],
        owner_id=olive,
        audience_segment_ids=[segment],
    )
    advance(container)
    container.relay.drain()
    do_queue_messages([MessageRequest(invite, 1, "phone-check")], uow=container.uow())
    _, email, _ = user_with_token(container, "marketer")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        sign_in(page, live_server, email)
        for name, path in (
            ("emails-templates", "/emails"),
            ("emails-messages", "/emails/messages"),
            ("emails-catcher", "/emails/outbox"),
            ("emails-new", "/emails/new"),
            ("emails-editor", f"/emails/{invite}"),
            ("journeys-list", "/journeys"),
            ("journeys-designer", f"/journeys/{journey}"),
        ):
            page.goto(f"{live_server}{path}")
            _look(page, name, folder)

        # The create-task tile's owner: the journey's owner by default, or a user by name.
        page.goto(f"{live_server}/journeys/{journey}")
        page.locator('[data-tile="task"]').get_by_role("button").first.click()
        panel = page.locator("#journey-panel")
        owner = panel.get_by_label("For", exact=True)
        expect(owner.locator("option:checked")).to_have_text("The journey's owner (Olive Owner)")
        owner.select_option(label="Test marketer")
        expect(page.locator('[data-tile="task"]')).to_contain_text("for Test marketer")
        _look(page, "journeys-task-owner", folder)
    finally:
        context.close()
    assert errors == []
