"""A marketer's path: create a form, open its landing page, submit it, find what it made."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from leadflow.bootstrap import Container
from tests.e2e.test_browser import snapshot
from tests.support.factories import PASSWORD, user_with_token

pytestmark = pytest.mark.browser


def test_a_form_made_in_the_ui_captures_a_contact_a_lead_and_an_interaction(
    live_server: str, browser: Browser, container: Container
) -> None:
    _, email, _ = user_with_token(container, "marketer")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{live_server}/login?next=%2Fforms")
        page.get_by_label("Email", exact=True).fill(email)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(f"{live_server}/forms")

        page.get_by_role("link", name="New form").click()
        page.locator("#f-name").fill("Spring webinar")
        page.locator("#f-slug").fill("spring-webinar")
        page.get_by_label("Campaign", exact=True).fill("Spring")
        snapshot(page, "capture-form-new")
        page.get_by_role("button", name="Create form").click()
        expect(page).to_have_url(re.compile(rf"^{re.escape(live_server)}/forms/\d+$"))
        form_url = page.url

        page.locator("#landing-link").click()
        expect(page).to_have_url(f"{live_server}/p/spring-webinar")
        expect(page.get_by_role("heading", level=1)).to_have_text("Spring webinar")
        page.get_by_label("Email").fill("grace@example.com")
        page.get_by_label("First name").fill("Grace")
        page.get_by_label("Last name").fill("Hopper")
        page.get_by_label("Company").fill("Navy")
        snapshot(page, "capture-landing")
        page.get_by_role("button", name="Submit").click()
        expect(page.get_by_role("status")).to_have_text("Thank you! We received your submission.")

        page.goto(form_url)
        row = page.locator("table.submissions tbody tr").first
        # Accepted at once; processed by the relay's next batch (this server runs none).
        expect(row).to_contain_text("accepted")
        container.relay.drain()
        page.goto(form_url)
        expect(row).to_contain_text("succeeded")
        snapshot(page, "capture-form-detail")
        row.get_by_role("link", name=re.compile(r"^#\d+$")).nth(1).click()
        expect(page).to_have_url(re.compile(rf"^{re.escape(live_server)}/leads/\d+$"))
        expect(page.locator("dl.fields")).to_contain_text("grace@example.com")
        expect(page.locator("dl.fields")).to_contain_text("Spring")

        page.goto(form_url)
        page.locator("table.submissions tbody tr").first.get_by_role(
            "link", name=re.compile(r"^#\d+$")
        ).first.click()
        expect(page).to_have_url(re.compile(rf"^{re.escape(live_server)}/contacts/\d+$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Grace Hopper")
        expect(page.get_by_text("No interactions recorded yet.")).to_have_count(0)
        expect(page.locator("body")).to_contain_text("Submitted form 'Spring webinar'")
    finally:
        context.close()
