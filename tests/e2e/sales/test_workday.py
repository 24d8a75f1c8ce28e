"""The working day of sales in Chromium: a telemarketer works the call list, a manager accepts
a lead and it leaves the queue, a salesperson cannot open a marketing-only contact, two
duplicates are merged.

Screenshots at 1280 and 390 px wide are kept as test artefacts in $LEADFLOW_SCREENSHOTS, or
var/test-artifacts/sales/ by default.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from leadflow.bootstrap import Container
from leadflow.contacts.services import create_contact
from leadflow.leads.services import create_lead, update_lead
from tests.support.browser import sign_in
from tests.support.factories import user_with_token

pytestmark = pytest.mark.browser

ARTIFACTS = Path(
    os.environ.get("LEADFLOW_SCREENSHOTS")
    or Path(__file__).resolve().parents[3] / "var" / "test-artifacts" / "sales"
)
WIDTHS = (1280, 390)


def shots(page: Page, name: str, database: str) -> None:
    """The page at both widths, full length; the page never scrolls sideways at 1280."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        path = ARTIFACTS / f"{name}-{database}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 0
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def db_name(database_url: str) -> str:
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"


def lead_of_contact(container: Container, **lead_values: object) -> int:
    with container.uow() as uow:
        contact = create_contact(
            {"first_name": "Ada", "last_name": "Lovelace", "phone": "+442071234567"}, uow=uow
        )
        lead = create_lead(
            {"topic": "Difference engine", "company_name": "Analytical Engines",
             "parent_contact_id": contact.id},
            uow=uow,
        )  # fmt: skip
        uow.commit()
    with container.uow() as uow:
        update_lead(lead.id, dict(lead_values), uow=uow)
        uow.commit()
    container.relay.drain()
    return lead.id


def test_a_telemarketer_works_the_call_list(
    live_server: str, browser: Browser, container: Container, database_url: str
) -> None:
    database = db_name(database_url)
    lead_id = lead_of_contact(container, telemarketing_ready=True)
    _, email, _ = user_with_token(container, "telemarketer")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, live_server, email)
    page.goto(f"{live_server}/call-list")
    row = page.locator(f'tr[data-lead="{lead_id}"]')
    expect(row.locator("a.tel")).to_have_attribute("href", "tel:+442071234567")
    expect(row).to_contain_text("Analytical Engines")
    shots(page, "1-call-list", database)

    row.get_by_role("link", name="Lovelace").click()
    page.locator("#call-outcome").select_option("reached")
    page.locator("#call-notes").fill("Wants a demo next week")
    page.get_by_role("button", name="Log call").click()
    expect(page.locator("#activities")).to_contain_text("Call: Reached")
    expect(page.locator("#activities")).to_contain_text("Wants a demo next week")

    page.locator("#step-telemarketing_accepted").check()
    page.get_by_role("button", name="Save steps").click()
    expect(page.locator("ol.stages li.active")).to_contain_text("Telemarketing qualification")
    page.locator("#step-need").select_option("must_have")
    page.locator("#step-purchase_timeframe").select_option("this_quarter")
    page.locator("#step-sales_ready").check()
    page.get_by_role("button", name="Save steps").click()
    expect(page.locator("ol.stages li.active")).to_contain_text("Sales acceptance")
    shots(page, "2-lead-after-the-call", database)

    page.goto(f"{live_server}/call-list")
    expect(page.locator(f'tr[data-lead="{lead_id}"]')).to_have_count(0)


def test_a_manager_accepts_and_the_lead_leaves_the_queue(
    live_server: str, browser: Browser, container: Container, database_url: str
) -> None:
    database = db_name(database_url)
    user_with_token(container, "salesperson")
    lead_id = lead_of_contact(container, sales_ready=True)
    _, email, _ = user_with_token(container, "sales_manager")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, live_server, email)
    page.goto(f"{live_server}/queues")
    queue = page.locator("#queue-sales_acceptance")
    lead_link = queue.locator(f'a[href="/leads/{lead_id}"]')
    expect(lead_link).to_have_count(1)
    shots(page, "3-queue-before-accepting", database)
    row = queue.locator("tr", has=page.locator(f'a[href="/leads/{lead_id}"]'))
    # The row names the person, not only the lead's topic, and so does its select's label.
    expect(row.locator("td").nth(1)).to_have_text("Ada Lovelace")
    row.get_by_label("Salesperson for Difference engine, Ada Lovelace").select_option(
        label="Test salesperson"
    )
    queue.get_by_role("button", name="Assign and accept").click()
    expect(page.locator("p.alert.notice")).to_contain_text("assigned and accepted")
    expect(
        page.locator("#queue-sales_acceptance").locator(f'a[href="/leads/{lead_id}"]')
    ).to_have_count(0)
    shots(page, "4-queue-after-accepting", database)
    page.goto(f"{live_server}/leads/{lead_id}")
    expect(page.locator("#stage-timeline")).not_to_contain_text("Sales-acceptance queue")


def test_a_salesperson_cannot_open_a_marketing_only_contact(
    live_server: str, browser: Browser, container: Container, database_url: str
) -> None:
    database = db_name(database_url)
    with container.uow() as uow:
        hidden = create_contact(
            {"first_name": "Mara", "last_name": "Ketting", "marketing_only": True}, uow=uow
        ).id
        create_contact({"first_name": "Sam", "last_name": "Seen"}, uow=uow)
        uow.commit()
    _, email, _ = user_with_token(container, "salesperson")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, live_server, email)
    page.goto(f"{live_server}/contacts?view=all")
    expect(page.locator("table.records")).to_contain_text("Sam Seen")
    expect(page.locator("table.records")).not_to_contain_text("Ketting")
    page.goto(f"{live_server}/contacts?view=all&q=Ketting")
    expect(page.locator("table.records")).not_to_contain_text("Ketting")
    shots(page, "5-salesperson-search", database)
    response = page.goto(f"{live_server}/contacts/{hidden}")
    assert response is not None and response.status == 404
    shots(page, "6-salesperson-hidden-contact", database)


@pytest.mark.settings(duplicate_check_pause_seconds=0)
def test_two_duplicates_are_merged(
    live_server: str, browser: Browser, container: Container, database_url: str
) -> None:
    database = db_name(database_url)
    _, email, _ = user_with_token(container, "marketer")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, live_server, email)

    def new_contact(first: str, phone: str) -> None:
        page.goto(f"{live_server}/contacts/new")
        page.get_by_label("First name", exact=True).fill(first)
        page.get_by_label("Last name", exact=True).fill("Hopper")
        page.get_by_label("Email", exact=True).fill("grace@navy.test")
        page.get_by_label("Phone", exact=True).fill(phone)
        page.get_by_role("button", name="Create contact").click()

    new_contact("Grace", "")
    expect(page).to_have_url(re.compile(r"/contacts/\d+$"))
    first_url = page.url
    new_contact("Amazing Grace", "+12025550143")
    duplicate = page.locator("[data-duplicate]")
    expect(duplicate).to_contain_text("already exists")
    expect(duplicate.get_by_role("link", name="Grace Hopper")).to_have_attribute(
        "href", first_url.removeprefix(live_server)
    )
    shots(page, "7-duplicate-refused", database)
    page.get_by_role("button", name="Create anyway").click()
    expect(page).to_have_url(re.compile(r"/contacts/\d+$"))

    page.goto(f"{live_server}/duplicates")
    page.locator("#duplicates-contact").get_by_role("link", name="Compare and merge").click()
    shots(page, "8-merge-compare", database)
    # Keep the first; take the second's phone.
    page.locator('tr[data-field="phone"] input[value="second"]').check()
    page.get_by_role("button", name="Merge").click()
    expect(page).to_have_url(re.compile(r"/contacts/\d+\?merged_from=\d+$"))
    assert page.url.startswith(first_url)
    expect(page.locator("[data-merged]")).to_be_visible()
    expect(page.locator("main")).to_contain_text("+12025550143")
    shots(page, "9-merged-survivor", database)
    page.goto(f"{live_server}/duplicates")
    expect(page.locator("#duplicates-contact")).to_contain_text("No duplicates found.")
