"""`/api/v1/jobs`: a job's progress, the latest jobs, cancelling; the older job endpoints."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from leadflow.automation.orphans import start_orphan_backfill
from leadflow.bootstrap import Container
from leadflow.jobs.models import Job
from leadflow.leads.services import create_lead
from leadflow.scoring.services import start_rescore
from tests.integration.jobs.helpers import start
from tests.support.factories import user_with_token

Headers = Callable[[str], dict[str, str]]


def _rescore(container: Container, requested_by: int | None = None) -> int:
    with container.uow() as uow:
        job = start_rescore(None, uow=uow, requested_by=requested_by)
        uow.commit()
        return job.id


def _backfill(container: Container) -> int:
    with container.uow() as uow:
        job = start_orphan_backfill(uow=uow)
        uow.commit()
        return job.id


def test_a_job_started_through_the_api_shows_its_progress_and_result(
    client: TestClient, container: Container
) -> None:
    user_id, _, token = user_with_token(container, "marketer")
    headers = {"Authorization": f"Bearer {token}"}
    started = client.post("/api/v1/scoring/rescore", headers=headers)
    assert started.status_code == 202, started.text

    response = client.get(f"/api/v1/jobs/{started.json()['id']}", headers=headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert {key: body[key] for key in ("kind", "label", "status", "done", "total")} == {
        "kind": "scoring.rescore",
        "label": "Full rescore",
        "status": "succeeded",
        "done": 0,
        "total": 0,
    }
    assert body["result"] == {"scored": 0, "changed": 0, "removed": 0, "sales_ready": 0}
    assert (body["requested_by"], body["error"], body["attempts"]) == (user_id, None, 1)
    assert body["params"]["model_id"] is None
    assert body["created_at"] and body["started_at"] and body["finished_at"]


def test_the_older_job_endpoints_answer_as_before(
    client: TestClient, container: Container, admin: dict[str, str]
) -> None:
    with container.uow() as uow:
        create_lead({"email": "orphan@example.com", "last_name": "Orphan"}, uow=uow)
        uow.commit()
    backfill = client.post("/api/v1/automation/orphans/backfill", headers=admin)
    rescore = client.post("/api/v1/scoring/rescore", headers=admin)
    assert (backfill.status_code, rescore.status_code) == (202, 202)

    old_backfill = client.get(f"/api/v1/automation/jobs/{backfill.json()['id']}", headers=admin)
    old_rescore = client.get(f"/api/v1/scoring/jobs/{rescore.json()['id']}", headers=admin)
    wrong_kind = client.get(f"/api/v1/scoring/jobs/{backfill.json()['id']}", headers=admin)

    assert {k: v for k, v in old_backfill.json().items() if not k.endswith("_at")} == {
        "id": backfill.json()["id"],
        "kind": "backfill_orphans",
        "status": "done",
        "done": 1,
        "total": 1,
        "message": "1 linked, 0 skipped",
    }
    assert {k: v for k, v in old_rescore.json().items() if not k.endswith("_at")} == {
        "id": rescore.json()["id"],
        "model_id": None,
        "status": "done",
        "done": 0,
        "total": 0,
        "error": None,
    }
    assert wrong_kind.status_code == 404


def test_the_list_filters_by_kind_and_status(
    client: TestClient, container: Container, admin: dict[str, str], tag: str
) -> None:
    rescore = _rescore(container)
    backfill = _backfill(container)
    failed = start(container, steps=2, tag=tag, fail_at=0)

    every = client.get("/api/v1/jobs", headers=admin).json()["items"]
    rescores = client.get("/api/v1/jobs?kind=scoring.rescore", headers=admin).json()["items"]
    failures = client.get("/api/v1/jobs?status=failed", headers=admin).json()["items"]
    latest = client.get("/api/v1/jobs?limit=1", headers=admin).json()["items"]

    assert [item["id"] for item in every] == [failed, backfill, rescore]
    assert [item["id"] for item in rescores] == [rescore]
    assert [(item["id"], item["error"]) for item in failures] == [
        (failed, "RuntimeError: step 0 broke")
    ]
    assert [item["id"] for item in latest] == [failed]


@pytest.mark.parametrize(
    ("query", "field"),
    [("status=finished", "status"), ("kind=no.such", "kind"), ("limit=0", "limit")],
)
def test_a_bad_list_filter_is_refused(
    client: TestClient, admin: dict[str, str], query: str, field: str
) -> None:
    response = client.get(f"/api/v1/jobs?{query}", headers=admin)

    assert response.status_code == 422
    assert response.json()["field"] == field


# Whoever may start a kind may see and cancel its jobs: pinned here, not derived.
POLICY = [
    ("admin", "scoring.rescore", True),
    ("admin", "automation.backfill_orphans", True),
    ("marketer", "scoring.rescore", True),
    ("marketer", "automation.backfill_orphans", True),
    ("sales_manager", "scoring.rescore", False),
    ("sales_manager", "automation.backfill_orphans", False),
    ("salesperson", "scoring.rescore", False),
    ("telemarketer", "automation.backfill_orphans", False),
]


@pytest.mark.parametrize(("role", "kind", "allowed"), POLICY)
def test_who_may_see_and_cancel_a_job(
    make_container: Callable[..., Container],
    client: TestClient,
    container: Container,
    headers_for: Headers,
    role: str,
    kind: str,
    allowed: bool,
) -> None:
    quiet = make_container(huey_immediate=False)
    shown = _rescore(quiet) if kind == "scoring.rescore" else _backfill(quiet)
    headers = headers_for(role)

    read = client.get(f"/api/v1/jobs/{shown}", headers=headers)
    listed = client.get("/api/v1/jobs", headers=headers)
    cancel = client.post(f"/api/v1/jobs/{shown}/cancel", headers=headers)

    expected = 200 if allowed else 403
    assert (read.status_code, cancel.status_code) == (expected, expected)
    assert [item["id"] for item in listed.json()["items"]] == ([shown] if allowed else [])
    if not allowed:
        assert cancel.json()["code"] == "forbidden"


def test_cancelling_a_queued_job_ends_it_and_a_running_one_asks_it_to_stop(
    make_container: Callable[..., Container],
    client: TestClient,
    container: Container,
    admin: dict[str, str],
    tag: str,
) -> None:
    quiet = make_container(huey_immediate=False)
    queued = start(quiet, steps=2, tag=tag)
    running = start(quiet, steps=2, tag=tag)
    with container.uow() as uow:
        uow.session.execute(update(Job).where(Job.id == running).values(status="running"))
        uow.commit()

    ended = client.post(f"/api/v1/jobs/{queued}/cancel", headers=admin)
    asked = client.post(f"/api/v1/jobs/{running}/cancel", headers=admin)
    again = client.post(f"/api/v1/jobs/{queued}/cancel", headers=admin)
    unknown = client.post("/api/v1/jobs/999999/cancel", headers=admin)

    assert ended.status_code == 200
    assert (ended.json()["status"], ended.json()["cancel_requested"]) == ("cancelled", True)
    assert (asked.json()["status"], asked.json()["cancel_requested"]) == ("running", True)
    assert (again.status_code, again.json()["code"], again.json()["field"]) == (
        409,
        "job_ended",
        "status",
    )
    assert unknown.status_code == 404
