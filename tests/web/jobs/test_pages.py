"""The jobs pages: the list, a job's page with its bar and cancel button; links from where
jobs start."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from leadflow.bootstrap import Container
from leadflow.leads.services import create_lead
from leadflow.scoring.services import latest_rescore
from tests.integration.jobs.helpers import job, start
from tests.integration.scoring.helpers import live_model
from tests.web.pages.test_pages import csrf_of, log_in


def test_a_running_job_page_shows_its_bar_and_a_cancel_button(
    make_container: Callable[..., Container], client: TestClient, container: Container, tag: str
) -> None:
    quiet = make_container(huey_immediate=False)
    job_id = start(quiet, steps=4, tag=tag)
    log_in(client, container, "marketer")

    page = client.get(f"/jobs/{job_id}").text
    cancelled = client.post(
        f"/jobs/{job_id}/cancel", data={"csrf_token": csrf_of(page)}, follow_redirects=False
    )
    after = client.get(f"/jobs/{job_id}").text

    assert f'data-job-url="/api/v1/jobs/{job_id}" data-job-active' in page
    assert re.search(r'<progress class="job-progress" max="1" value="0"', page)
    assert '<noscript><meta http-equiv="refresh"' in page
    assert "Cancel job" in page
    assert (cancelled.status_code, cancelled.headers["location"]) == (303, f"/jobs/{job_id}")
    assert job(container, job_id).status == "cancelled"
    assert 'class="badge job-status job-cancelled">cancelled<' in after
    assert "Cancel job" not in after and "data-job-active" not in after


def test_a_finished_job_page_shows_its_result(
    client: TestClient, container: Container, tag: str
) -> None:
    job_id = start(container, steps=3, tag=tag)
    log_in(client, container, "admin")

    page = client.get(f"/jobs/{job_id}").text

    assert re.search(r'<progress class="job-progress" max="3" value="3"', page)
    assert 'class="job-percent">100%<' in page
    assert 'class="result-steps">3<' in page
    assert "data-job-active" not in page


def test_the_list_shows_the_jobs_the_role_may_see_and_filters_them(
    client: TestClient, container: Container, tag: str
) -> None:
    steps = start(container, steps=1, tag=tag)
    with container.uow() as uow:
        create_lead({"email": "orphan@example.com", "last_name": "Orphan"}, uow=uow)
        uow.commit()
    log_in(client, container, "marketer")
    home = client.get("/").text
    token = csrf_of(home)
    backfill = client.post(
        "/settings/automation/orphans/backfill",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    backfill_id = int(backfill.headers["location"].rsplit("/", 1)[1])

    every = client.get("/jobs").text
    only_backfills = client.get("/jobs?kind=automation.backfill_orphans").text

    assert '<a href="/jobs">Jobs</a>' in home
    assert backfill.status_code == 303
    assert f'id="job-{steps}"' in every and f'id="job-{backfill_id}"' in every
    assert f'id="job-{backfill_id}"' in only_backfills
    assert f'id="job-{steps}"' not in only_backfills
    assert "Orphan-lead backfill" in only_backfills


def test_roles_that_start_no_jobs_have_no_jobs_pages(
    client: TestClient, container: Container, tag: str
) -> None:
    job_id = start(container, steps=1, tag=tag)
    log_in(client, container, "salesperson")

    home = client.get("/").text
    listed = client.get("/jobs")
    shown = client.get(f"/jobs/{job_id}")

    assert "Jobs</a>" not in home
    assert (listed.status_code, shown.status_code) == (403, 403)


def test_the_scoring_model_page_links_its_rescore_job(
    client: TestClient, container: Container
) -> None:
    model_id = live_model(
        container,
        rules=[
            {
                "points": 5,
                "conditions": [
                    {"entity": "contact", "field": "job_title", "op": "eq", "value": "CTO"}
                ],
            }
        ],
    )
    log_in(client, container, "marketer")

    page = client.get(f"/scoring/models/{model_id}").text
    token = csrf_of(page)
    rescore = client.post(
        f"/scoring/models/{model_id}/rescore", data={"csrf_token": token}, follow_redirects=False
    )

    with container.read_session() as session:
        latest = latest_rescore(session, model_id)
    found = re.search(r'<a href="/jobs/(\d+)">Rescore job #\1</a>: <span class="job-status">', page)
    assert found is not None and latest is not None
    assert int(found.group(1)) < latest.id
    assert (rescore.status_code, rescore.headers["location"]) == (303, f"/jobs/{latest.id}")
