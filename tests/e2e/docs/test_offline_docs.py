"""/docs in a browser that cannot reach any host but the server: the reference still shows."""

from __future__ import annotations

from playwright.sync_api import Browser, Route, expect
from pytest import mark

from leadflow.bootstrap import Container

pytestmark = mark.browser


# The page reads /docs, its script and /openapi.json, none of which reads the database
# (tests/web/api/test_openapi.py builds the document with none): SQLite only.
@mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_api_reference_lists_the_operations_with_every_other_host_cut_off(
    live_server: str, browser: Browser, container: Container
) -> None:
    on_host: list[str] = []
    off_host: list[str] = []

    def this_server_only(route: Route) -> None:
        url = route.request.url
        if url == live_server or url.startswith(f"{live_server}/"):
            on_host.append(url.removeprefix(live_server))
            route.continue_()
        else:
            off_host.append(url)
            route.abort()

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.route("**/*", this_server_only)
        page.goto(f"{live_server}/docs")

        contacts = page.locator(".opblock").filter(
            has=page.locator('.opblock-summary-path[data-path="/api/v1/contacts"]')
        )
        expect(contacts.first).to_be_visible(timeout=20_000)
        expect(page.locator(".opblock-get .opblock-summary-path").first).to_be_visible()
    finally:
        context.close()

    assert {"/docs", "/swagger-ui/swagger-ui-bundle.js", "/openapi.json"} <= set(on_host)
    assert off_host == []
