"""A user's path through the pages in a real browser: log in, create, search, open."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from leadflow.bootstrap import Container
from tests.support.factories import PASSWORD, user_with_token

pytestmark = pytest.mark.browser


def snapshot(page: Page, name: str) -> None:
    # Set LEADFLOW_SCREENSHOTS=/some/dir to look at the pages the test went through.
    folder = os.environ.get("LEADFLOW_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"ui-{name}.png"), full_page=True)


def test_a_contact_created_in_the_form_is_found_by_search_and_shown(
    live_server: str, browser: Browser, container: Container
) -> None:
    _, email, _ = user_with_token(container, "admin")
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(f"{live_server}/contacts")
        expect(page).to_have_url(f"{live_server}/login?next=%2Fcontacts")
        page.get_by_label("Email", exact=True).fill(email)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(f"{live_server}/contacts")

        page.get_by_role("link", name="New contact").click()
        page.get_by_label("First name", exact=True).fill("Ada")
        page.get_by_label("Last name", exact=True).fill("Lovelace")
        page.get_by_label("Email", exact=True).fill("ada@example.com")
        page.get_by_label("Job title", exact=True).fill("Analyst")
        page.get_by_role("button", name="Create contact").click()
        expect(page).to_have_url(re.compile(rf"^{re.escape(live_server)}/contacts/\d+$"))
        contact_url = page.url

        page.get_by_role("link", name="Contacts", exact=True).first.click()
        page.get_by_role("searchbox", name="Search").fill("lovelace")
        page.get_by_role("button", name="Search").click()
        expect(page).to_have_url(re.compile(r"[?&]q=lovelace"))
        results = page.locator("table.records tbody td.title a")
        expect(results).to_have_text(["Ada Lovelace"])
        snapshot(page, "contacts")

        results.first.click()
        expect(page).to_have_url(contact_url)
        expect(page.get_by_role("heading", level=1)).to_have_text("Ada Lovelace")
        expect(page.locator("dl.fields")).to_contain_text("ada@example.com")
        snapshot(page, "contact")
    finally:
        context.close()
