"""What browser tests share: signing in through the login form."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.support.factories import PASSWORD


def sign_in(page: Page, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
