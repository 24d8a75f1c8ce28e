"""axe-core on every page, as each role, at 1280 px and at 390 px (a phone).

axe-core comes from npm (package.json at the repository root; `make test` runs
`npm ci` when it is missing) and is injected into each page by Playwright. A
page fails on a serious or critical violation, and on being wider than the
window (a page-wide sideways scroll). Screenshots of the admin's pages are kept
in $LEADFLOW_SCREENSHOTS, or var/test-artifacts/a11y/ by default.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from leadflow.accounts.services import create_account
from leadflow.automation.models import AutomationRule
from leadflow.bootstrap import Container
from leadflow.capture.services import create_event, create_form
from leadflow.contacts.services import create_contact
from leadflow.emails.services import create_template
from leadflow.journeys.services import create_journey
from leadflow.leads.services import create_lead
from leadflow.opportunities.services import create_opportunity
from leadflow.scoring.services import create_model
from leadflow.segments.services import create_segment
from tests.support.browser import sign_in
from tests.support.factories import user_with_token

# Slow (a minute a role): started first, so no worker is left finishing one alone.
pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(os.environ.get("LEADFLOW_SCREENSHOTS") or ROOT / "var" / "test-artifacts" / "a11y")
WIDTHS = (1280, 390)
ROLES = ("admin", "marketer", "telemarketer", "salesperson", "sales_manager")
BLOCKING = ("serious", "critical")


def _records(container: Container) -> dict[str, int]:
    with container.uow() as uow:
        account = create_account({"name": "Analytical Engines"}, uow=uow).id
        contact = create_contact(
            {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.test"}, uow=uow
        ).id
        lead = create_lead(
            {"topic": "Difference engine", "parent_contact_id": contact, "company_name": "AE"},
            uow=uow,
        ).id
        opportunity = create_opportunity({"name": "Engine No. 2", "account_id": account}, uow=uow)
        form = create_form({"name": "Contact us", "slug": "contact-us"}, uow=uow)
        event = create_event(
            {
                "name": "Spring conference",
                "starts_at": "2027-04-01T09:00:00Z",
                "ends_at": "2027-04-01T17:00:00Z",
            },
            uow=uow,
        )
        model = create_model({"name": "Inbound"}, uow=uow)
        segment = create_segment({"name": "Decision makers"}, uow=uow)
        template = create_template(
            {
                "name": "Welcome",
                "subject": "Hello",
                "html_body": "<p>Hello</p>",
                "from_name": "Marketing",
                "from_address": "marketing@example.test",
            },
            uow=uow,
        )
        journey = create_journey("Welcome journey", None, {}, _journey(template.id), uow=uow)
        rule = uow.session.query(AutomationRule).order_by(AutomationRule.id).first()
        assert rule is not None
        ids = {
            "account": account,
            "contact": contact,
            "lead": lead,
            "opportunity": opportunity.id,
            "form": form.id,
            "event": event.id,
            "model": model.id,
            "rule": rule.id,
            "segment": segment.id,
            "journey": journey.id,
        }
        uow.commit()
    container.relay.drain()
    return ids


def _journey(template_id: int) -> dict[str, Any]:
    """Email -> if opened -> end, else a split: the designer draws branches side by side."""
    return {
        "start": "email1",
        "tiles": [
            {"id": "email1", "kind": "send_email", "template_id": template_id, "next": "if1"},
            {
                "id": "if1",
                "kind": "condition",
                "checks": [{"kind": "email_opened", "template_id": template_id}],
                "timeout_minutes": 1440,
                "yes": "end1",
                "no": "split1",
            },
            {"id": "end1", "kind": "end"},
            {
                "id": "split1",
                "kind": "split",
                "branches": [{"percent": 50, "label": "A"}, {"percent": 50, "label": "B"}],
            },
        ],
    }


def _pages(ids: dict[str, int], user_id: int) -> list[str]:
    return [
        "/",
        "/contacts",
        "/contacts/new",
        f"/contacts/{ids['contact']}",
        "/accounts",
        f"/accounts/{ids['account']}",
        "/leads",
        "/leads/new",
        f"/leads/{ids['lead']}",
        "/opportunities",
        f"/opportunities/{ids['opportunity']}",
        "/forms",
        "/forms/new",
        f"/forms/{ids['form']}",
        "/events",
        f"/events/{ids['event']}",
        "/scoring",
        f"/scoring/models/{ids['model']}",
        "/queues",
        "/dashboard",
        "/notifications",
        "/jobs",
        "/views/new",
        "/segments",
        f"/segments/{ids['segment']}",
        f"/segments/{ids['segment']}/contacts/{ids['contact']}",
        "/journeys",
        f"/journeys/{ids['journey']}",
        "/imports",
        "/duplicates",
        "/call-list",
        "/settings/linkedin",
        "/settings/fields",
        "/settings/users",
        f"/settings/users/{user_id}",
        "/settings/matching",
        "/settings/process",
        "/settings/automation",
        f"/settings/automation/rules/{ids['rule']}",
        "/settings/org",
        "/settings/events",
    ]


def _check(page: Page, width: int) -> list[str]:
    """The blocking axe violations on the open page, and a page-wide sideways scroll."""
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    problems = [
        f"{item['impact']} {item['id']}: {item['help']} "
        f"({', '.join(str(node['target']) for node in item['nodes'][:3])})"
        for item in result["violations"]
        if item["impact"] in BLOCKING
    ]
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    if wide > width:
        problems.append(f"the page is {wide} px wide in a {width} px window")
    return problems


def _report(failures: dict[str, list[str]]) -> str:
    return "\n".join(
        f"{where}: {problem}" for where, found in failures.items() for problem in found
    )


def _name(path: str) -> str:
    return path.strip("/").replace("/", "-") or "home"


# Markup and layout do not depend on the database (the page tests run on both), and
# this walk is the suite's slowest: it runs on SQLite only, one test per role and
# width, so the two test workers share it.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_passes_axe_at_desktop_and_phone_width(
    live_server: str, browser: Browser, container: Container, role: str, width: int
) -> None:
    assert AXE.exists(), "axe-core is missing: run 'npm ci' (make test does)"
    ids = _records(container)
    user_id, email, _ = user_with_token(container, role)
    failures: dict[str, list[str]] = {}
    checked = 0
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, live_server, email)
        for path in _pages(ids, user_id):
            response = page.goto(f"{live_server}{path}")
            assert response is not None
            if response.status in (403, 404):
                continue  # not a page of this role
            assert response.status == 200, f"{path} answered {response.status}"
            checked += 1
            if role == "admin":
                folder = ARTIFACTS / str(width)
                folder.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(folder / f"{_name(path)}.png"), full_page=True)
            problems = _check(page, width)
            if problems:
                failures[f"{path} at {width} px"] = problems
    finally:
        context.close()

    assert checked >= 8, f"only {checked} pages were open to the {role}"
    assert failures == {}, _report(failures)


def test_the_public_and_login_pages_pass_axe(
    live_server: str, browser: Browser, container: Container
) -> None:
    assert AXE.exists(), "axe-core is missing: run 'npm ci' (make test does)"
    ids = _records(container)
    failures: dict[str, list[str]] = {}
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        try:
            for path in ("/login", "/p/contact-us", f"/e/{ids['event']}"):
                response = page.goto(f"{live_server}{path}")
                assert response is not None and response.status == 200, path
                problems = _check(page, width)
                if problems:
                    failures[f"{path} at {width} px"] = problems
        finally:
            context.close()

    assert failures == {}, _report(failures)
