"""A marketer builds a scoring model in the designer, runs what-if, goes live and
reads the score and its explanation on a lead page, in a real browser."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, expect

from leadflow.bootstrap import Container
from leadflow.lib.clock import utcnow
from tests.e2e.test_browser import snapshot
from tests.integration.scoring.helpers import make_contact, make_lead, record
from tests.support.browser import sign_in
from tests.support.factories import user_with_token

pytestmark = pytest.mark.browser


def test_a_marketer_builds_a_model_runs_what_if_goes_live_and_sees_scores(
    live_server: str, browser: Browser, container: Container
) -> None:
    director = make_contact(container, job_title="IT Director")
    lead = make_lead(container, parent_contact_id=director, topic="Director lead")
    for days in (1, 3):
        record(container, director, "email_opened", utcnow() - timedelta(days=days))
    other = make_lead(container, parent_contact_id=make_contact(container, job_title="Intern"))
    _, email, _ = user_with_token(container, "marketer")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, live_server, email)

        page.goto(f"{live_server}/scoring")
        page.get_by_label("Name", exact=True).fill("Directors who read")
        page.get_by_role("button", name="Create model").click()
        expect(page).to_have_url(re.compile(r"/scoring/models/\d+$"))
        model_url = page.url

        add_rule = page.locator("#add-rule")
        add_rule.get_by_label("Rule name").fill("Director")
        add_rule.get_by_label("Score change").fill("30")
        add_rule.get_by_label("Field", exact=True).select_option("contact.job_title")
        add_rule.get_by_label("Operator").select_option("contains")
        add_rule.get_by_label(re.compile(r"^Value")).fill("director")
        add_rule.get_by_role("button", name="Add rule").click()
        expect(page.locator("#rules")).to_contain_text(
            "Parent contact: Job title contains director"
        )

        add_rule = page.locator("#add-rule")
        add_rule.get_by_label("Rule name").fill("Opens")
        add_rule.get_by_label("Score change").fill("5")
        add_rule.get_by_label("Type").select_option("behaviour")
        add_rule.get_by_label("Interaction").select_option(label="Opened email")
        add_rule.get_by_label("Frequency").select_option("each")
        add_rule.get_by_label("In the last N days").fill("30")
        add_rule.get_by_role("button", name="Add rule").click()
        expect(page.locator("#rules")).to_contain_text("Opened email each time in the last 30 days")

        page.get_by_label("Sales-ready score").fill("40")
        page.get_by_role("button", name="Save summary").click()
        page.get_by_label(re.compile(r"^One grade a line")).fill(
            "Cold, , 19\nWarm, 20, 39\nHot, 40, "
        )
        page.get_by_role("button", name="Save grades").click()

        page.get_by_role("button", name="Check for errors").click()
        expect(page.locator("#check-result")).to_contain_text("No errors")
        page.get_by_role("button", name="What-if").click()
        expect(page.locator("#what-if .leads-scored")).to_have_text("2")
        expect(page.locator("#what-if .would-be-ready")).to_have_text("1")
        snapshot(page, "scoring-what-if")

        page.get_by_role("button", name="Go live").click()
        expect(page).to_have_url(model_url)
        expect(page.locator("#model-status")).to_have_text("live")
        expect(page.locator("#job .job-status")).to_have_text("succeeded")

        page.goto(f"{live_server}/leads/{lead}")
        scores = page.locator("#lead-scores")
        expect(scores.locator("td.score")).to_contain_text("40")
        expect(scores).to_contain_text("Hot")
        expect(scores).to_contain_text("Director: +30 = +30")
        expect(scores).to_contain_text("Opens: +5 \u00d7 2 = +10")
        expect(scores).to_contain_text("marked by score")
        expect(scores.locator(".score-history")).to_contain_text("new → 40")
        snapshot(page, "scoring-lead")

        page.goto(f"{live_server}/leads/{other}")
        expect(page.locator("#lead-scores td.score")).to_contain_text("0")
    finally:
        context.close()
