"""Settings > LinkedIn in a real browser: connect to the fake LinkedIn (with a token, or
signing in at the fake's authorization page), read the sync status, map a custom
question with its select, subscribe to lead notifications; at 1280 px and at 390 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from leadflow.bootstrap import Container
from tests.e2e.test_browser import snapshot
from tests.support.browser import sign_in
from tests.support.factories import user_with_token
from tests.support.fake_linkedin import OWNER, FakeLinkedIn, response
from tests.support.linkedin import NOW_MS, fake, use_fake_app

pytestmark = pytest.mark.browser
__all__ = ["fake"]


def test_a_marketer_connects_reads_the_status_and_maps_a_question(
    live_server: str, browser: Browser, container: Container, fake: FakeLinkedIn
) -> None:
    fake.responses.append(
        response("r1", 1, NOW_MS - 60_000, {11: "Ada", 12: "Lovelace", 13: "ada@example.com"})
    )
    fake.responses.append(response("r2", 1, NOW_MS - 30_000, {13: "not an email"}))
    _, email, _ = user_with_token(container, "marketer")
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        sign_in(page, live_server, email)
        page.goto(f"{live_server}/settings/linkedin")
        page.locator("#f-name").fill("Acme ads")
        page.get_by_label("Ad account or organisation").fill(OWNER)
        page.get_by_label("Access token").fill(fake.token)
        page.get_by_label("App client secret").fill("s3cret")
        page.get_by_label("API address").fill(fake.url)
        page.get_by_role("button", name="Connect").click()

        expect(page.locator("h1")).to_have_text("Acme ads")
        expect(page.get_by_role("status").first).to_contain_text("backfill")
        counts = page.locator(".sync-counts")
        expect(counts.locator("li").nth(0)).to_have_text("1created")
        expect(counts.locator("li").nth(3)).to_have_text("1failed")
        expect(page.get_by_role("link", name="Ada Lovelace")).to_be_visible()
        snapshot(page, "linkedin-status")

        page.get_by_role("link", name="Whitepaper Q3").click()
        page.get_by_label("Ihre Frage").select_option(label="Description")
        page.get_by_role("button", name="Save mappings").click()
        expect(page.get_by_role("status")).to_have_text("Question mappings saved.")
        expect(page.get_by_label("Ihre Frage")).to_have_value("description")
        snapshot(page, "linkedin-form")

        page.goto(f"{live_server}/settings/linkedin")
        expect(page.locator("#m-JOB_TITLE")).to_have_value("job_title")
        snapshot(page, "linkedin-settings")

        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{live_server}/settings/linkedin/connections/1")
        expect(page.get_by_role("button", name="Sync now")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390 + 1
        snapshot(page, "linkedin-status-phone")

        # The lead's page shows what was answered on LinkedIn.
        page.get_by_role("link", name="Ada Lovelace").click()
        panel = page.locator(".linkedin-answers")
        expect(panel.get_by_role("heading", name="LinkedIn form answers")).to_be_visible()
        expect(panel).to_contain_text("Whitepaper Q3")
        expect(panel).to_contain_text("ada@example.com")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
        snapshot(page, "linkedin-lead-phone")
        page.set_viewport_size({"width": 1280, "height": 800})
        snapshot(page, "linkedin-lead")
    finally:
        context.close()


def test_a_marketer_connects_with_linkedin_and_subscribes_to_lead_notifications(
    live_server: str, browser: Browser, container: Container, fake: FakeLinkedIn
) -> None:
    use_fake_app(container, fake)
    fake.responses.append(
        response("r1", 1, NOW_MS - 60_000, {11: "Ada", 12: "Lovelace", 13: "ada@example.com"})
    )
    _, email, _ = user_with_token(container, "marketer")
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        sign_in(page, live_server, email)
        page.goto(f"{live_server}/settings/linkedin")
        page.get_by_label("Connection name").fill("Acme ads")
        page.get_by_label("LinkedIn account to sync").fill(OWNER)
        snapshot(page, "linkedin-connect")
        # Off to the fake LinkedIn's authorization page, which approves and sends us back.
        page.get_by_role("button", name="Connect with LinkedIn", exact=True).click()

        expect(page.locator("h1")).to_have_text("Acme ads")
        expect(page.get_by_role("status").first).to_contain_text("backfill")
        expect(page.get_by_role("link", name="Ada Lovelace")).to_be_visible()
        assert page.url.startswith(live_server)
        authorisation = page.locator("#authorisation")
        expect(authorisation).to_contain_text("renewed with the refresh token")
        notifications = page.locator("#notifications")
        expect(notifications).to_contain_text("Not subscribed")

        notifications.get_by_role("button", name="Subscribe to lead notifications").click()

        notifications = page.locator("#notifications")
        expect(notifications).to_contain_text("Subscribed")
        expect(notifications).to_contain_text("/api/v1/linkedin/connections/1/webhook")
        assert [item["webhook"] for item in fake.subscriptions] == [
            f"{live_server}/api/v1/linkedin/connections/1/webhook"
        ]
        page.locator("#notifications").scroll_into_view_if_needed()
        snapshot(page, "linkedin-subscribed")

        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        expect(page.get_by_role("button", name="Unsubscribe")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
        snapshot(page, "linkedin-subscribed-phone")

        page.get_by_role("button", name="Unsubscribe").click()

        expect(page.locator("#notifications")).to_contain_text("Not subscribed")
        expect(page.get_by_role("button", name="Subscribe to lead notifications")).to_be_visible()
        assert fake.subscriptions == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
        page.goto(f"{live_server}/settings/linkedin")
        expect(page.get_by_role("button", name="Connect with LinkedIn", exact=True)).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
        snapshot(page, "linkedin-connect-phone")
    finally:
        context.close()
