"""In a real browser: upload a CSV with a bad row, map a column by its field label,
dry-run, run, and download the error file."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from leadflow.bootstrap import Container
from tests.e2e.test_browser import snapshot
from tests.integration.imports.helpers import contacts
from tests.support.browser import DESKTOP_ON_BOTH_PHONE_ON_SQLITE, sign_in
from tests.support.factories import user_with_token

pytestmark = pytest.mark.browser

CSV = "Work email,Vorname,Notes\nann@example.com,Ann,x\nnot-an-email,Bo,y\ncy@example.com,Cy,z\n"


@DESKTOP_ON_BOTH_PHONE_ON_SQLITE
def test_upload_map_dry_run_run_and_download_the_error_file(
    live_server: str, browser: Browser, container: Container, tmp_path: Path, width: int
) -> None:
    source = tmp_path / "people.csv"
    source.write_text(CSV)
    _, email, _ = user_with_token(container, "marketer")
    context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    page = context.new_page()
    try:
        sign_in(page, live_server, email)
        if width < 700:
            # At phone width the main navigation folds behind its menu button.
            page.get_by_role("button", name="Menu").click()
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
        page.get_by_label("Import", exact=True).select_option(label="Contacts")
        page.get_by_label("File", exact=True).set_input_files(str(source))
        page.get_by_role("button", name="Upload").click()
        expect(page.get_by_role("heading", name="Contacts from people.csv")).to_be_visible()
        # "Vorname" is guessed; "Work email" is mapped by hand, by the field's label.
        expect(page.get_by_label("Field for Vorname")).to_have_value("first_name")
        page.get_by_label("Field for Work email").select_option(label="Email")
        snapshot(page, f"import-mapping-{width}")

        page.get_by_role("button", name="Dry run").click()
        expect(page.locator(".preview tbody tr")).to_have_count(3)
        expect(page.locator(".count-error")).to_have_text("1 error")
        snapshot(page, f"import-dry-run-{width}")

        page.get_by_role("button", name="Run import").click()
        expect(page.locator(".count-create")).to_have_text("2")
        expect(page.locator(".count-error")).to_have_text("1")
        snapshot(page, f"import-done-{width}")
        with page.expect_download() as download_info:
            page.get_by_role("link", name="Download the error file").click()
        saved = tmp_path / "errors.csv"
        download_info.value.save_as(saved)
    finally:
        context.close()

    lines = saved.read_text().splitlines()
    assert lines[0] == "line,column,code,message,Work email,Vorname,Notes"
    assert lines[1].startswith("3,Work email,invalid_email,")
    assert lines[1].endswith(",not-an-email,Bo,y")
    assert [c.email for c in contacts(container)] == ["ann@example.com", "cy@example.com"]
