"""A marketer builds the seed's example in the tree builder (contacts with a lead whose
topic is "Contoso Ltd Conference", narrowed to decision makers), sees its estimated
size, takes it live and finds a contact in it with its reason, in a real browser."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, expect

from leadflow.bootstrap import Container
from leadflow.lib.clock import utcnow
from tests.e2e.test_browser import snapshot
from tests.integration.segments.helpers import make_contact, make_lead, record
from tests.support.browser import sign_in
from tests.support.factories import user_with_token

pytestmark = pytest.mark.browser


def test_a_marketer_builds_the_seed_example_goes_live_and_finds_a_contact_with_its_reason(
    live_server: str, browser: Browser, container: Container
) -> None:
    ada = make_contact(container, first_name="Ada", last_name="Byron", role="decision_maker")
    make_lead(container, topic="Contoso Ltd Conference", parent_contact_id=ada)
    clerk = make_contact(container, first_name="Bob", last_name="Clerk", role="employee")
    make_lead(container, topic="Contoso Ltd Conference", parent_contact_id=clerk)
    _, email, _ = user_with_token(container, "marketer")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, live_server, email)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Segments").click()
        page.get_by_label("Name", exact=True).fill("Conference decision makers")
        page.get_by_role("button", name="Create segment").click()
        expect(page).to_have_url(re.compile(r"/segments/\d+$"))

        builder = page.locator("#segment-builder")
        root_add = builder.locator(":scope > .seg-group > .seg-add")
        root_add.get_by_role("button", name="Add related records").click()
        related = builder.locator(".seg-related").first
        related.get_by_label("Relationship").select_option(label="Lead (Parent contact for lead)")
        related.locator(".seg-add").get_by_role("button", name="Add a condition").click()
        condition = related.locator(".seg-field").first
        condition.get_by_label("Field").select_option(label="Topic")
        condition.get_by_label("Operator").select_option(label="is")
        condition.get_by_label("Value", exact=True).fill("Contoso Ltd Conference")
        expect(page.locator("#segment-estimate")).to_have_text("Estimated size: 2 contacts")

        root_add.get_by_role("button", name="Add a condition").click()
        role = builder.locator(":scope > .seg-group > .seg-children > .seg-field").first
        role.get_by_label("Field").select_option(label="Role")
        role.get_by_label("decision maker").check()
        expect(page.locator("#segment-estimate")).to_have_text("Estimated size: 1 contact")
        snapshot(page, "segment-builder")

        page.get_by_role("button", name="Save").click()
        expect(page.locator(".alert.notice")).to_contain_text("Saved")
        page.get_by_role("button", name="Go live").click()
        expect(page.locator(".pill.status-live")).to_be_visible()
        members = page.locator("table.segment-members")
        expect(members.get_by_role("link", name="Ada Byron")).to_be_visible()
        expect(members).not_to_contain_text("Bob Clerk")
        expect(members).to_contain_text(
            "Topic is Contoso Ltd Conference and Role is decision maker"
        )
        snapshot(page, "segment-live")

        members.get_by_role("link", name="explain").first.click()
        expect(page.locator(".explain-verdict")).to_contain_text("In")
        expect(page.locator(".explain-tree")).to_contain_text("Contoso Ltd Conference")
        snapshot(page, "segment-explain")

        page.goto(f"{live_server}/contacts/{ada}")
        panel = page.locator("#contact-segments")
        expect(panel.get_by_role("link", name="Conference decision makers")).to_be_visible()
        expect(panel).to_contain_text("Why: has a lead")
        snapshot(page, "segment-contact-panel")

        page.set_viewport_size({"width": 390, "height": 844})
        page.go_back()
        snapshot(page, "segment-explain-narrow")
        page.get_by_role("link", name="Back to the segment").click()
        expect(page.locator("#segment-builder .seg-related")).to_be_visible()
        snapshot(page, "segment-builder-narrow")
    finally:
        context.close()


def test_a_marketer_builds_a_behaviour_condition_clicked_an_email_twice_in_30_days(
    live_server: str, browser: Browser, container: Container
) -> None:
    now = utcnow()
    ada = make_contact(container, first_name="Ada", last_name="Clicks")
    once = make_contact(container, first_name="Bob", last_name="Once")
    stale = make_contact(container, first_name="Cy", last_name="Stale")
    for when in (now - timedelta(days=2), now - timedelta(days=9)):
        record(container, ada, "email_clicked", when)
    record(container, once, "email_clicked", now - timedelta(days=1))
    for when in (now - timedelta(days=40), now - timedelta(days=50)):
        record(container, stale, "email_clicked", when)
    _, email, _ = user_with_token(container, "marketer")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, live_server, email)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Segments").click()
        page.get_by_label("Name", exact=True).fill("Engaged clickers")
        page.get_by_role("button", name="Create segment").click()
        expect(page).to_have_url(re.compile(r"/segments/\d+$"))

        builder = page.locator("#segment-builder")
        builder.locator(":scope > .seg-group > .seg-add").get_by_role(
            "button", name="Add behaviour"
        ).click()
        behaviour = builder.locator(".seg-behaviour").first
        behaviour.get_by_label("Interaction").select_option(label="email clicked")
        behaviour.get_by_label("How often").select_option(label="at least")
        behaviour.get_by_label("Times").fill("2")
        behaviour.get_by_label("Window in days").fill("30")
        expect(page.locator("#segment-estimate")).to_have_text("Estimated size: 1 contact")
        snapshot(page, "segment-builder-behaviour")

        page.get_by_role("button", name="Save").click()
        expect(page.locator(".alert.notice")).to_contain_text("Saved")
        page.get_by_role("button", name="Go live").click()
        expect(page.locator(".pill.status-live")).to_be_visible()
        members = page.locator("table.segment-members")
        expect(members.get_by_role("link", name="Ada Clicks")).to_be_visible()
        expect(members).not_to_contain_text("Bob Once")
        expect(members).not_to_contain_text("Cy Stale")
        expect(members).to_contain_text("email clicked at least 2 times in the last 30 days")

        page.set_viewport_size({"width": 390, "height": 844})
        expect(builder.locator(".seg-behaviour")).to_be_visible()
        snapshot(page, "segment-builder-behaviour-narrow")
    finally:
        context.close()
