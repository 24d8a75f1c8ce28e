"""A job's page follows the job in a real browser: the bar moves while it runs, and the
result shows once it ends."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, expect

from leadflow.bootstrap import Container
from leadflow.jobs.runner import run_job
from tests.e2e.test_browser import snapshot
from tests.integration.jobs.helpers import start
from tests.support.browser import sign_in
from tests.support.factories import user_with_token
from tests.support.job_kinds import ON_STEP, tag

pytestmark = pytest.mark.browser
__all__ = ["tag"]


def test_the_job_page_updates_its_bar_while_the_job_runs(
    live_server: str,
    browser: Browser,
    container: Container,
    make_container: Callable[..., Container],
    tag: str,
) -> None:
    job_id = start(make_container(huey_immediate=False), steps=3, tag=tag)
    at_step_two, go_on = threading.Event(), threading.Event()

    def hold_at_step_two(step: int) -> None:
        if step == 2:
            at_step_two.set()
            go_on.wait(30)

    ON_STEP[tag] = hold_at_step_two
    worker = threading.Thread(target=run_job, args=(container, job_id))
    _, email, _ = user_with_token(container, "marketer")
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        sign_in(page, live_server, email)
        page.goto(f"{live_server}/jobs/{job_id}")
        expect(page.locator("#job .job-status")).to_have_text("queued")

        worker.start()
        assert at_step_two.wait(30)
        # Polled in place: the page was not reloaded (it still offers to cancel).
        expect(page.locator("#job .job-status")).to_have_text("running")
        expect(page.locator("#job .job-done")).to_have_text("2")
        expect(page.locator("#job .job-percent")).to_have_text("66%")
        expect(page.locator("#job progress.job-progress")).to_have_attribute("value", "2")
        snapshot(page, "job-running")

        go_on.set()
        worker.join(timeout=30)
        expect(page.locator("#job .job-status")).to_have_text("succeeded")
        expect(page.locator("#job .result-steps")).to_have_text("3")
        expect(page.get_by_role("button", name="Cancel job")).to_have_count(0)
        snapshot(page, "job-succeeded")
    finally:
        go_on.set()
        context.close()
