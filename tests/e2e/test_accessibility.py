"""axe-core on every page, as each role, at 1280 px and at 390 px (a phone).

axe-core comes from npm (package.json at the repository root; `make test` runs
`npm ci` when it is missing) and is injected into each page by Playwright. A
page fails on a serious or critical violation, and on being wider than the
window (a page-wide sideways scroll). Screenshots of the admin's pages are kept
in $LEADFLOW_SCREENSHOTS/a11y/ when that variable is set.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from leadflow.accounts.services import create_account
from leadflow.automation.models import AutomationRule
from leadflow.bootstrap import Container
from leadflow.capture.services import create_event, create_form
from leadflow.contacts.services import create_contact
from leadflow.emails.services import create_template
from leadflow.journeys.services import create_journey
from leadflow.leads.services import create_lead
from leadflow.opportunities.services import create_opportunity
from leadflow.saved_views.services import create_view
from leadflow.scoring.services import create_model
from leadflow.segments.services import create_segment
from tests.support.browser import sign_in
from tests.support.factories import user_with_token

# Slow (a minute a role): started first, so no worker is left finishing one alone.
pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = (
    Path(os.environ["LEADFLOW_SCREENSHOTS"]) / "a11y"
    if os.environ.get("LEADFLOW_SCREENSHOTS")
    else None
)
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


def _own_view(container: Container, user_id: int) -> int:
    """A saved view of the user's own: its builder opens for them alone."""
    with container.uow() as uow:
        view = create_view(
            {"name": "Big budgets", "entity": "lead", "filters": [["budget_amount__gte", "1000"]]},
            owner_id=user_id,
            uow=uow,
        )
        uow.commit()
        return view.id


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
        f"/views/{ids['view']}/edit",
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


# What axe checks on a page: the whole document the first time a path is seen at a width
# (document rules: title, landmarks, heading order), then only the parts whose shape no
# earlier role has shown at that width: its menu, its buttons. A part's shape is its
# elements in order with what accessibility rules read from them (tag, classes, role,
# type, which aria-* and labelling attributes it has, whether it has text), not the
# texts, ids, links and tokens that differ between users and records.
# After the window was resized it waits for the next frame, before whose callbacks the
# page's own resize handlers run (app.js marks the boxes that now scroll sideways).
_SHAPES = """async (resized) => {
  if (resized) await new Promise((done) => requestAnimationFrame(done));
  const labelling = ['alt', 'title', 'for', 'href', 'tabindex', 'scope', 'lang', 'hidden'];
  const shape = (root) => root === null ? '' : [root, ...root.querySelectorAll('*')].map((el) => {
    const attributes = el.getAttributeNames()
      .filter((name) => (name.startsWith('aria-') && name !== 'aria-current')
        || labelling.includes(name)).sort();
    const text = [...el.childNodes].some((node) => node.nodeType === 3 && node.textContent.trim());
    const classes = [...el.classList].filter((name) => name !== 'active').join(' ');
    return [el.tagName, classes, el.getAttribute('role'), el.getAttribute('type'),
            attributes.join(' '), text ? 't' : ''].join('|');
  }).join('\\n');
  return [shape(document.querySelector('header.topbar')), shape(document.querySelector('main')),
          document.documentElement.scrollWidth, document.title];
}"""


class Walk:
    """What one width's walk has already checked, and what it found."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.paths: set[str] = set()
        self.shapes: set[str] = set()
        self.checked = 0
        self.failures: dict[str, list[str]] = {}

    def check(self, page: Page, where: str, path: str, *, resized: bool = False) -> None:
        """Run axe on what is new on the open page; note a page-wide sideways scroll.
        `resized`: the window was resized since the page loaded."""
        self.checked += 1
        problems: list[str] = []
        # One round trip for the shapes and the page's width (a few ms each, 400 pages).
        header, main, wide, title = page.evaluate(_SHAPES, resized)
        new_parts = [
            selector
            for selector, shape in (("header.topbar", header), ("main", main))
            if shape and shape not in self.shapes
        ]
        self.shapes.update((header, main))
        if path not in self.paths:
            self.paths.add(path)
            problems += _axe(page, None)
        elif new_parts:
            problems += _axe(page, new_parts)
        if not _plain_title(title):
            problems.append(f"the window's title is not a plain name: {title[:120]!r}")
        if wide > self.width:
            problems.append(f"the page is {wide} px wide in a {self.width} px window")
        if problems:
            self.failures[f"{where} at {self.width} px"] = problems


def _plain_title(title: str) -> bool:
    """What a browser tab shows: a short name, no markup (a list's title once held its
    filter builder's JSON script)."""
    return 0 < len(title) <= 120 and not any(mark in title for mark in "<>{}")


def _context(browser: Browser, width: int) -> BrowserContext:
    """A browser window `width` px wide whose pages all carry axe-core: given to Chromium
    once, rather than sent with each page (that took a third of a second a page)."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_init_script(path=str(AXE))
    return context


def _axe(page: Page, include: list[str] | None) -> list[str]:
    """The blocking axe violations on the open page, or within `include`'s selectors."""
    context = "document" if include is None else f"{{include: {[[item] for item in include]}}}"
    result: dict[str, Any] = page.evaluate(
        f"async () => await axe.run({context}, {{resultTypes: ['violations']}})"
    )
    return [
        f"{item['impact']} {item['id']}: {item['help']} "
        f"({', '.join(str(node['target']) for node in item['nodes'][:3])})"
        for item in result["violations"]
        if item["impact"] in BLOCKING
    ]


def _report(failures: dict[str, list[str]]) -> str:
    return "\n".join(
        f"{where}: {problem}" for where, found in failures.items() for problem in found
    )


def _name(path: str) -> str:
    return path.strip("/").replace("/", "-") or "home"


# Markup and layout do not depend on the database (the page tests run on both), and
# this walk is the suite's slowest: it runs on SQLite only. Every role visits every
# page once and axe reads it at both widths in turn: a navigation costs about what an
# axe run does. The admin's pages load at the phone's width and are then widened, the
# other roles' load at the desktop's and are then narrowed, so both a page loaded on a
# phone and a window made narrower (app.js marks the tables that then scroll) are
# checked. Axe reads each distinct shape once per width (Walk.check). Screenshots only
# when LEADFLOW_SCREENSHOTS asks.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_page_passes_axe_at_desktop_and_phone_width_for_every_role(
    live_server: str, browser: Browser, container: Container
) -> None:
    assert AXE.exists(), "axe-core is missing: run 'npm ci' (make test does)"
    ids = _records(container)
    walks = {width: Walk(width) for width in WIDTHS}
    open_to: dict[str, int] = {}
    for role in ROLES:  # the admin first: every page of theirs is checked whole
        user_id, email, _ = user_with_token(container, role)
        ids["view"] = _own_view(container, user_id)
        widths = sorted(WIDTHS) if role == "admin" else sorted(WIDTHS, reverse=True)
        loaded_at = {"width": widths[0], "height": 900}
        context = _context(browser, widths[0])
        page = context.new_page()
        before = walks[widths[0]].checked
        try:
            sign_in(page, live_server, email)
            for path in _pages(ids, user_id):
                if page.viewport_size != loaded_at:
                    page.set_viewport_size(loaded_at)
                response = page.goto(f"{live_server}{path}")
                assert response is not None
                if response.status in (403, 404):
                    continue  # not a page of this role
                assert response.status == 200, f"{path} answered {response.status} to {role}"
                for width in widths:
                    resized = width != widths[0]
                    if resized:
                        page.set_viewport_size({"width": width, "height": 900})
                    if role == "admin" and SCREENSHOTS is not None:
                        folder = SCREENSHOTS / str(width)
                        folder.mkdir(parents=True, exist_ok=True)
                        page.screenshot(path=str(folder / f"{_name(path)}.png"), full_page=True)
                    walks[width].check(page, f"{path} as {role}", path, resized=resized)
        finally:
            context.close()
        open_to[role] = walks[widths[0]].checked - before

    assert all(count >= 8 for count in open_to.values()), f"pages open to each role: {open_to}"
    failures = {where: found for walk in walks.values() for where, found in walk.failures.items()}
    assert failures == {}, _report(failures)


def test_the_public_and_login_pages_pass_axe(
    live_server: str, browser: Browser, container: Container
) -> None:
    assert AXE.exists(), "axe-core is missing: run 'npm ci' (make test does)"
    ids = _records(container)
    failures: dict[str, list[str]] = {}
    for width in WIDTHS:
        walk = Walk(width)
        context = _context(browser, width)
        page = context.new_page()
        try:
            for path in ("/login", "/p/contact-us", f"/e/{ids['event']}"):
                response = page.goto(f"{live_server}{path}")
                assert response is not None and response.status == 200, path
                walk.check(page, path, path)
        finally:
            context.close()
        failures.update(walk.failures)

    assert failures == {}, _report(failures)
