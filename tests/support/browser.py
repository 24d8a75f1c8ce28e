"""What browser tests share: signing in through the login form."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.support.factories import PASSWORD

# A flow at a desktop's width on both databases, and at a phone's on SQLite only: what
# the phone's width changes is the layout, which does not depend on the database.
DESKTOP_ON_BOTH_PHONE_ON_SQLITE = pytest.mark.parametrize(
    ("database_url", "width"),
    [("sqlite", 1280), ("postgresql", 1280), ("sqlite", 390)],
    indirect=["database_url"],
)


def sign_in(page: Page, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
