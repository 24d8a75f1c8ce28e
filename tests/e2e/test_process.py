"""One lead walked from Inquiry to a qualified opportunity through the process bar, in Chromium.

Screenshots of the bar at each stage are kept as test artefacts in
$LEADFLOW_SCREENSHOTS, or var/test-artifacts/process/ by default.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from leadflow.bootstrap import Container
from tests.support.browser import DESKTOP_ON_BOTH_PHONE_ON_SQLITE, sign_in
from tests.support.factories import user_with_token

pytestmark = pytest.mark.browser

ARTIFACTS = Path(
    os.environ.get("LEADFLOW_SCREENSHOTS")
    or Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "process"
)


def bar_shot(page: Page, name: str, database: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"process-bar-{database}-{name}.png"
    page.locator("section.process-bar").screenshot(path=str(path))
    assert path.stat().st_size > 0
    return path


def active_stage(page: Page) -> str:
    return page.locator("ol.stages li.active .stage-name").inner_text()


def test_a_lead_walks_from_inquiry_to_a_qualified_opportunity(
    live_server: str, browser: Browser, container: Container, database_url: str
) -> None:
    database = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    _, email, _ = user_with_token(container, "admin")
    seller_id, _, _ = user_with_token(container, "salesperson")
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, live_server, email)

        page.goto(f"{live_server}/leads/new")
        page.get_by_label("Topic", exact=True).fill("Enigma licences")
        page.get_by_label("Last name", exact=True).fill("Turing")
        page.get_by_label("Email", exact=True).fill("alan@bletchley.test")
        page.get_by_label("Company name", exact=True).fill("Bletchley Park")
        page.get_by_role("button", name="Create lead").click()
        expect(page).to_have_url(re.compile(r"/leads/\d+$"))
        lead_url = page.url
        expect(page.locator("ol.stages li.active")).to_contain_text("Inquiry")
        first = bar_shot(page, "1-inquiry", database)

        page.get_by_role("button", name="Next stage").click()
        expect(page.locator("ol.stages li.active")).to_contain_text(
            "Automated marketing qualification"
        )
        page.locator("#step-telemarketing_ready").check()
        page.get_by_role("button", name="Save steps").click()
        expect(page.locator("ol.stages li.active")).to_contain_text("Telemarketing acceptance")
        bar_shot(page, "2-telemarketing-acceptance", database)

        page.locator("#step-telemarketing_accepted").check()
        page.get_by_role("button", name="Save steps").click()
        expect(page.locator("ol.stages li.active")).to_contain_text("Telemarketing qualification")

        # The required steps are checked: Next stage names the missing one beside it.
        page.get_by_role("button", name="Next stage").click()
        expect(page.locator("#step-need-error")).to_contain_text("required step 'need'")
        page.locator("#step-need").select_option("must_have")
        page.locator("#step-purchase_timeframe").select_option("this_quarter")
        page.locator("#step-sales_ready").check()
        page.get_by_role("button", name="Save steps").click()
        expect(page.locator("ol.stages li.active")).to_contain_text("Sales acceptance")
        bar_shot(page, "3-sales-acceptance", database)

        # Going back by hand and forth again is allowed and kept in the timeline.
        page.locator("ol.stages a[data-stage='inquiry']").click()
        page.get_by_role("button", name="Set active").click()
        expect(page.locator("ol.stages li.active")).to_contain_text("Inquiry")
        page.locator("ol.stages a[data-stage='sales_acceptance']").click()
        page.get_by_role("button", name="Set active").click()
        expect(page.locator("ol.stages li.active")).to_contain_text("Sales acceptance")

        page.locator("details.handover summary").click()
        page.locator("details.handover select[name='user_id']").select_option(str(seller_id))
        page.get_by_role("button", name="Assign and accept").click()
        expect(page.locator(".process-bar .alert.notice")).to_contain_text("Assigned and accepted")

        page.locator("details.handover summary").click()
        page.get_by_role("button", name="Qualify", exact=True).click()
        expect(page).to_have_url(re.compile(r"/opportunities/\d+$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Enigma licences")

        page.goto(lead_url)
        expect(page.locator(".process-bar")).to_contain_text("Process finished")
        assert page.locator("ol.stages li.done").count() == 5
        expect(page.locator("#stage-timeline")).to_contain_text("Set active by hand")
        last = bar_shot(page, "4-qualified", database)
        assert first.exists() and last.exists()
    finally:
        context.close()


@DESKTOP_ON_BOTH_PHONE_ON_SQLITE
def test_the_process_settings_show_the_automatic_moves_in_words(
    live_server: str, browser: Browser, container: Container, database_url: str, width: int
) -> None:
    database = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    _, email, _ = user_with_token(container, "admin")
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, live_server, email)

        page.goto(f"{live_server}/settings/process")

        moves = page.get_by_role("list", name="Automatic moves")
        expect(moves.get_by_role("listitem")).to_have_count(4)
        expect(moves).to_contain_text("When a lead is first scored, from Inquiry")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"process-settings-{database}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 0
        # Nothing runs off the side of a phone's screen.
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
    finally:
        context.close()
