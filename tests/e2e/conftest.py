"""Browser fixtures: Debian's Chromium driven by Playwright (the app: `live_server`).

No browser is ever downloaded: the tests use /usr/bin/chromium and fail, saying
what to install, when it is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Module scope: Playwright's sync API must be closed before other modules'
    # tests run their own event loops.
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run 'apt-get install chromium' (Debian's build; "
            "the tests never download a browser)",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()
