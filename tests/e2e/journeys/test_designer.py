"""A marketer builds a small journey in the designer (email -> if opened -> end, and a
split the server refuses until its percentages add up), takes it live, the engine runs,
and the counts on the tiles move, in a real browser at desktop and phone width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from leadflow.bootstrap import Container
from leadflow.journeys.services import advance
from tests.e2e.test_browser import snapshot
from tests.support.browser import sign_in
from tests.support.factories import user_with_token
from tests.web.journeys.helpers import make_audience, make_email

pytestmark = pytest.mark.browser


def _add(page: Page, where: str, kind: str) -> None:
    page.get_by_role("button", name=f"Add a tile {where}", exact=True).click()
    page.locator(".jf-menu").get_by_role("button", name=kind, exact=True).click()


def test_a_marketer_builds_a_journey_takes_it_live_and_sees_its_counts_move(
    live_server: str, browser: Browser, container: Container
) -> None:
    make_audience(
        container,
        "Contoso decision makers",
        [("Ada", "ada@example.test"), ("Bob", "bob@example.test")],
    )
    make_email(container, "Welcome note")
    make_email(container, "Conference invitation")
    _, email, _ = user_with_token(container, "marketer")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        sign_in(page, live_server, email)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Journeys").click()
        page.get_by_label("Name", exact=True).fill("Conference nurture")
        page.get_by_role("button", name="Create journey").click()
        expect(page).to_have_url(re.compile(r"/journeys/\d+$"))

        page.get_by_label("Contoso decision makers").first.check()
        flow = page.locator("#journey-flow")
        panel = page.locator("#journey-panel")
        _add(page, "at the start", "Send an email")
        panel.get_by_label("Email", exact=True).select_option(label="Conference invitation")
        panel.get_by_label("Label", exact=True).fill("Invitation")
        expect(flow.locator('[data-tile="email1"]')).to_contain_text("'Conference invitation'")

        _add(page, "after Invitation", "If/then")
        panel.get_by_label("The contact").select_option(label="Opened an email")
        panel.get_by_label("Email", exact=True).select_option(label="Conference invitation")
        panel.get_by_label("Wait at most", exact=True).fill("2")
        panel.get_by_label("Wait at most: unit").select_option(label="days")
        panel.get_by_label("Label", exact=True).fill("Opened?")
        condition = flow.locator('[data-tile="if1"]')
        expect(condition).to_contain_text("If opened 'Conference invitation' within 2 days")
        # The end that closed the flow now closes the yes branch; the no branch is open.
        expect(flow.locator(".jf-branch-yes [data-tile='end1']")).to_be_visible()

        _add(page, "in branch No of Opened?", "Random split")
        panel.get_by_label("Percent").nth(1).fill("30")
        expect(panel.locator(".jd-total")).to_have_text("Together: 80% (they must add up to 100%)")
        page.get_by_role("button", name="Save", exact=True).click()
        # The server refuses the split, on the split's tile, keeping the flow as built.
        at_fault = flow.locator('[data-tile="split1"].has-error')
        expect(at_fault).to_contain_text("The split's branches add up to 80%, not 100%")
        expect(panel.locator(".field-error").first).to_contain_text("add up to 80%")
        expect(flow.locator('[data-tile="if1"]')).to_contain_text("within 2 days")
        snapshot(page, "journey-designer-error")

        panel.get_by_label("Percent").nth(1).fill("50")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator(".alert.notice")).to_have_text("Saved.")
        page.get_by_role("button", name="Go live").click()
        expect(page.locator("#journey-status")).to_have_text("live")
        email_tile = flow.locator('[data-tile="email1"]')
        expect(email_tile.locator(".jf-count-active")).to_have_text("2 active")
        expect(email_tile.locator(".jf-count-passed")).to_have_text("0 passed")

        advance(container)
        container.relay.drain()
        page.get_by_role("link", name="Refresh counts").click()
        expect(email_tile.locator(".jf-count-passed")).to_have_text("2 passed")
        expect(email_tile.locator(".jf-count-active")).to_have_text("0 active")
        expect(condition.locator(".jf-count-active")).to_have_text("2 active")
        expect(condition.locator(".jf-count-yes")).to_have_text("0 yes")
        snapshot(page, "journey-designer-live")

        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        expect(condition.locator(".jf-count-active")).to_have_text("2 active")
        wide = page.evaluate("() => document.documentElement.scrollWidth")
        assert wide <= 390, f"the designer is {wide} px wide on a phone"
        condition.get_by_role("button").click()
        expect(panel.get_by_label("Label", exact=True)).to_have_value("Opened?")
        snapshot(page, "journey-designer-narrow")
        page.goto(f"{live_server}/journeys")
        expect(page.locator("table.journeys-list")).to_contain_text("Contoso decision makers")
        snapshot(page, "journey-list-narrow")
    finally:
        context.close()
    assert errors == []
