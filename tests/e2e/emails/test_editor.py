"""A marketer writes an email in the editor (a merge field from the picker, the live preview
for a chosen contact), saves it, sends a test, and reads it on the Mail catcher page, in a
real browser; the editor and the catcher are looked at 1280 and 390 pixels wide."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from leadflow import bootstrap as bootstrap_module
from leadflow.bootstrap import Container
from leadflow.emails.catcher import MailCatcher, free_port, storing
from leadflow.outbox import OutboxMessage
from leadflow.web.app import create_app
from tests.conftest import empty_tables
from tests.integration.emails.helpers import make_contacts
from tests.support.browser import sign_in
from tests.support.factories import user_with_token
from tests.support.servers import serving

pytestmark = pytest.mark.browser


@pytest.fixture
def catching(make_container: Callable[..., Container]) -> Iterator[tuple[Container, str]]:
    """The app served with its SMTP settings pointing at a running mail catcher."""
    port = free_port()
    container = make_container(smtp_port=port, mail_catcher_port=port)
    empty_tables(container)
    container.seed_defaults()
    container.relay.drain()
    with container.engine.begin() as connection:
        connection.execute(OutboxMessage.__table__.delete())
    bootstrap_module.install(container)
    catcher = MailCatcher(storing(container), port=port).start()
    try:
        with serving(create_app(container)) as url:
            yield container, url
    finally:
        catcher.stop()
        bootstrap_module.install(None)
        empty_tables(container)


def _look(page: Page, name: str, folder: Path) -> None:
    """At 1280 and 390 pixels wide: a screenshot, and nothing wider than the window."""
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow}px wider than a {width}px window"
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_marketer_writes_previews_and_test_sends_an_email(
    catching: tuple[Container, str], browser: Browser, tmp_path: Path
) -> None:
    container, live_server = catching
    folder = Path(os.environ.get("LEADFLOW_SCREENSHOTS") or tmp_path)
    make_contacts(container, 1, first_name="Grace", last_name="Hopper", email="grace@example.test")
    _, email, _ = user_with_token(container, "marketer")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, live_server, email)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Emails").click()
        page.get_by_role("link", name="New email").click()
        page.get_by_label("Name", exact=True).fill("Welcome")
        page.get_by_label("Sender name").fill("Contoso Marketing")
        page.get_by_label("Sender address").fill("news@contoso.example")
        subject = page.get_by_label("Subject", exact=True)
        subject.fill("Welcome, ")
        subject.press("End")
        page.get_by_label("Merge field").select_option(label="Contact: First name")
        page.get_by_role("button", name="Insert").click()
        expect(subject).to_have_value("Welcome, {{ contact.first_name }}")
        page.get_by_label("As received by").select_option(label="Grace Hopper <grace@example.test>")
        preview = page.locator("[data-preview-subject]")
        expect(preview).to_have_text("Welcome, Grace")
        frame = page.frame_locator("iframe[title='HTML preview']")
        expect(frame.locator("h1")).to_have_text("Hello Grace,")

        page.get_by_label("HTML body").fill("<p>{% if %}</p>")
        expect(page.locator("[data-preview-error]")).to_contain_text("html body (line 1)")
        page.get_by_label("HTML body").fill(
            "<style>h1 { color: #0b5cad; }</style><h1>Hello {{ contact.first_name }},</h1>"
            '<p>Read <a href="https://example.com/guide">the guide</a>.</p>'
        )
        expect(frame.locator("h1")).to_have_text("Hello Grace,")
        # A test of the draft before it is ever saved: the editor comes back as it was.
        page.get_by_label("Send a test to").fill("draft@example.test")
        page.get_by_role("button", name="Send test").click()
        expect(page.locator(".alert.notice")).to_have_text("Test sent to draft@example.test.")
        expect(page.get_by_role("heading", level=1)).to_have_text("New email")
        expect(page.get_by_label("Subject", exact=True)).to_have_value(
            "Welcome, {{ contact.first_name }}"
        )
        expect(page.get_by_label("As received by")).to_have_value(re.compile(r"\d+"))
        page.get_by_role("button", name="Create email").click()
        expect(page).to_have_url(re.compile(r"/emails/\d+\?saved=1$"))
        expect(page.locator(".alert.notice")).to_have_text("Saved.")
        _look(page, "email-editor", folder)

        page.get_by_label("Send a test to").fill("me@example.test")
        page.get_by_role("button", name="Send test").click()
        expect(page.locator(".alert.notice")).to_have_text("Test sent to me@example.test.")

        page.get_by_role("navigation", name="Main").get_by_role("link", name="Emails").click()
        page.get_by_role("link", name="Mail catcher").click()
        expect(page.get_by_role("link", name="[Test] Welcome, Grace")).to_have_count(2)
        page.get_by_role("link", name="[Test] Welcome, Grace").first.click()
        caught = page.frame_locator("iframe[title='The email as HTML']")
        expect(caught.locator("h1")).to_have_text("Hello Grace,")
        expect(page.locator(".caught-headers")).to_contain_text("me@example.test")
        _look(page, "mail-catcher", folder)

        page.get_by_role("link", name="Templates").click()
        expect(page.locator(".email-templates")).to_contain_text("Contoso Marketing")
        _look(page, "email-templates", folder)
        page.get_by_role("link", name="Messages").click()
        expect(page.locator(".email-messages")).to_contain_text("No message")
        _look(page, "email-messages", folder)
    finally:
        context.close()
