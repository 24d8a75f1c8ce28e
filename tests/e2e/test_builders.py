"""Builders in Chromium: an automation rule and a saved view made by picking, not typing syntax.

Screenshots at 1280 px and at 390 px (a phone) are kept as test artefacts in
$LEADFLOW_SCREENSHOTS, or var/test-artifacts/builders/ by default.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from leadflow.automation.models import AutomationRule
from leadflow.bootstrap import Container
from leadflow.contacts.services import create_contact
from leadflow.leads.services import create_lead, get_lead
from leadflow.scoring.models import LeadScore, ScoringModel
from tests.support.browser import DESKTOP_ON_BOTH_PHONE_ON_SQLITE, sign_in
from tests.support.factories import user_with_token

pytestmark = pytest.mark.browser

ARTIFACTS = Path(
    os.environ.get("LEADFLOW_SCREENSHOTS")
    or Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "builders"
)


def shot(page: Page, name: str, database: str, width: int) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}-{width}-{database}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0


def page_fits(page: Page, width: int) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width


@DESKTOP_ON_BOTH_PHONE_ON_SQLITE
def test_a_rule_is_built_by_picking_its_trigger_condition_and_action(
    live_server: str, browser: Browser, container: Container, database_url: str, width: int
) -> None:
    database = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    _, email, _ = user_with_token(container, "marketer")
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, live_server, email)
        page.goto(f"{live_server}/settings/automation#add-rule")
        form = page.locator("#add-rule form")
        form.get_by_label("Name", exact=True).fill("Webinar leads are contacted")
        form.get_by_label("When this happens").select_option(label="Lead: created")
        condition = form.locator("[data-condition]").first
        condition.get_by_label("Field").select_option(label="Lead: Campaign")
        condition.get_by_label("Operator").select_option(label="contains")
        condition.get_by_label("Value").fill("webinar")
        action = form.locator("[data-action]").first
        action.get_by_label("Action 1").select_option(label="Set a field")
        params = action.locator("[data-action-params='set_field']")
        expect(params).to_be_visible()
        # The other actions' parameters stay out of the way.
        expect(action.locator("[data-action-params='call_webhook']")).to_be_hidden()
        params.get_by_label("Field").select_option(label="Lead: Status reason")
        # The new value follows the field: a status reason is picked from its list.
        params.get_by_label("New value").select_option(label="Contacted")
        form.locator("[data-action-add]").click()
        second = form.locator("[data-action]").nth(1)
        second.get_by_label("Action 2").select_option(label="Notify a user or a role")
        second.locator("[data-action-params='notify']").get_by_label("Role").select_option(
            label="Sales manager"
        )
        page_fits(page, width)
        shot(page, "rule-form", database, width)

        form.get_by_role("button", name="Add rule").click()
        expect(page).to_have_url(re.compile(r"/settings/automation/rules/\d+(#add-rule)?$"))
        expect(page.locator("h1")).to_have_text("Webinar leads are contacted")
        expect(page.locator("main")).to_contain_text("When this happens: Lead: created.")
        page_fits(page, width)
        shot(page, "rule-saved", database, width)
    finally:
        context.close()

    with container.read_session() as session:
        rule = session.query(AutomationRule).filter_by(name="Webinar leads are contacted").one()
        assert (rule.trigger, rule.conditions, rule.actions) == (
            "lead.created",
            [{"field": "lead.campaign", "op": "contains", "value": "webinar"}],
            [
                {
                    "type": "set_field",
                    "entity": "lead",
                    "field": "status_reason",
                    "value": "contacted",
                },
                {"type": "notify", "role": "sales_manager"},
            ],
        )
    with container.uow() as uow:
        lead_id = create_lead({"last_name": "Byron", "campaign": "Spring webinar"}, uow=uow).id
        uow.commit()
    container.relay.drain()
    with container.read_session() as session:
        assert get_lead(session, lead_id).status_reason == "contacted"


def _scored(container: Container) -> None:
    with container.uow() as uow:
        contact = create_contact({"email": "ada@example.test", "last_name": "Lovelace"}, uow=uow).id
        hot = create_lead({"topic": "Analytical engine", "parent_contact_id": contact}, uow=uow).id
        cold = create_lead({"topic": "Abacus", "parent_contact_id": contact}, uow=uow).id
        uow.commit()
    container.relay.drain()
    with container.uow() as uow:
        model = ScoringModel(name="Fit", definition={}, status="stopped", version=1)
        uow.session.add(model)
        uow.session.flush()
        for lead_id, score, grade in ((hot, 72, "A"), (cold, 12, "D")):
            uow.session.add(
                LeadScore(
                    lead_id=lead_id, model_id=model.id, score=score, grade=grade, model_version=1
                )
            )
        uow.commit()


@DESKTOP_ON_BOTH_PHONE_ON_SQLITE
def test_a_view_of_hot_leads_is_built_from_the_list_by_picking_fields(
    live_server: str, browser: Browser, container: Container, database_url: str, width: int
) -> None:
    database = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    _scored(container)
    _, email, _ = user_with_token(container, "marketer")
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, live_server, email)
        if width < 700:
            # On a phone the navigation waits behind the menu button.
            expect(page.locator("#mainnav")).to_be_hidden()
            page.get_by_role("button", name="Menu").click()
            expect(page.locator("#mainnav")).to_be_visible()
            shot(page, "menu-open", database, width)
        page.locator("#mainnav").get_by_role("link", name="Leads", exact=True).click()
        expect(page).to_have_url(re.compile(r"/leads"))
        page.get_by_role("link", name="All leads").click()
        expect(page.locator("table.records thead")).to_contain_text("Score")
        page_fits(page, width)
        shot(page, "lead-list", database, width)

        page.get_by_role("link", name="+ Save as a view").click()
        expect(page).to_have_url(re.compile(r"/views/new\?"))
        page.get_by_label("Name", exact=True).fill("Hot leads")
        condition = page.locator("[data-condition]").first
        condition.get_by_label("Field").select_option(label="Score")
        condition.get_by_label("Operator").select_option(label="≥")
        value = condition.get_by_label("Value")
        expect(value).to_have_attribute("type", "number")
        value.fill("50")
        page.get_by_label("Sort by").select_option(label="Score")
        page.get_by_label("Direction").select_option(label="Highest / newest first")
        page_fits(page, width)
        shot(page, "view-form", database, width)

        page.get_by_role("button", name="Save view").click()
        expect(page).to_have_url(re.compile(r"/leads\?view=\d+$"))
        expect(page.locator("table.records tbody td.title a")).to_have_text(["Analytical engine"])
        expect(page.locator(".saved-views .chip.active")).to_contain_text("Hot leads")
        page_fits(page, width)
        shot(page, "view-saved", database, width)

        # The view is the marketer's own: changed in the same builder, then deleted.
        page.locator(".saved-views").get_by_role("link", name="Edit view").click()
        expect(page).to_have_url(re.compile(r"/views/\d+/edit$"))
        expect(page.get_by_label("Name", exact=True)).to_have_value("Hot leads")
        condition = page.locator("[data-condition]").first
        expect(condition.get_by_label("Field")).to_have_value("score")
        condition.get_by_label("Value").fill("10")
        page.get_by_label("Name", exact=True).fill("Warm leads")
        page_fits(page, width)
        shot(page, "view-edit", database, width)
        page.get_by_role("button", name="Save changes").click()
        expect(page).to_have_url(re.compile(r"/leads\?view=\d+$"))
        expect(page.locator("table.records tbody td.title a")).to_have_text(
            ["Analytical engine", "Abacus"]
        )
        expect(page.locator(".saved-views .chip.active")).to_contain_text("Warm leads")

        page.locator(".saved-views").get_by_role("link", name="Edit view").click()
        page.get_by_role("button", name="Delete this view").click()
        expect(page).to_have_url(re.compile(r"/leads\?view=all$"))
        expect(page.locator(".saved-views")).not_to_contain_text("Warm leads")
    finally:
        context.close()
