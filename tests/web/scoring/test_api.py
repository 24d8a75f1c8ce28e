from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient

from leadflow.bootstrap import Container
from leadflow.lib.clock import utcnow
from tests.integration.scoring.helpers import make_contact, make_lead, record

RULES = [
    {
        "name": "Opens",
        "points": 15,
        "conditions": [
            {"type": "behaviour", "kind": "email_opened", "frequency": "each", "window_days": 30}
        ],
    },
    {
        "name": "Director",
        "points": 10,
        "conditions": [
            {"entity": "contact", "field": "job_title", "op": "contains", "value": "director"}
        ],
    },
]


def test_a_model_goes_from_draft_to_live_and_scores_leads(
    client: TestClient, container: Container, admin: dict[str, str]
) -> None:
    contact = make_contact(container, job_title="Marketing Director")
    lead = make_lead(container, parent_contact_id=contact)
    orphan = make_lead(container)
    record(container, contact, "email_opened", utcnow() - timedelta(days=2))

    created = client.post(
        "/api/v1/scoring/models",
        json={"name": "Main", "sales_ready_threshold": 40, "rules": RULES},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    model_id = created.json()["id"]
    assert created.json()["status"] == "draft"

    check = client.post(f"/api/v1/scoring/models/{model_id}/check", headers=admin)
    assert check.json() == {"ok": True, "problems": []}
    preview = client.post(f"/api/v1/scoring/models/{model_id}/what-if", headers=admin).json()
    assert preview["leads_scored"] == 1 and preview["would_become_sales_ready"] == 0

    job = client.post(f"/api/v1/scoring/models/{model_id}/go-live", headers=admin)
    assert job.status_code == 200, job.text
    progress = client.get(f"/api/v1/scoring/jobs/{job.json()['id']}", headers=admin).json()
    assert progress["status"] == "done" and progress["done"] == progress["total"] == 2

    scores = client.get(f"/api/v1/leads/{lead}/scores", headers=admin).json()
    assert scores["scores"][0]["score"] == 25
    assert [item["name"] for item in scores["scores"][0]["explanation"]] == ["Opens", "Director"]

    record(container, contact, "email_opened", utcnow())
    scores = client.get(f"/api/v1/leads/{lead}/scores", headers=admin).json()
    assert scores["scores"][0]["score"] == 40
    assert scores["sales_ready"] is True and scores["sales_ready_source"] == "score"
    assert [(h["old_score"], h["new_score"]) for h in scores["history"]] == [(25, 40), (None, 25)]

    unscorable = client.get(f"/api/v1/leads/{orphan}/scores", headers=admin).json()
    assert "no parent contact" in unscorable["unscorable_reason"]

    locked = client.patch(f"/api/v1/scoring/models/{model_id}", json={"name": "X"}, headers=admin)
    assert locked.status_code == 409
    insight = client.get(f"/api/v1/scoring/models/{model_id}/insights", headers=admin).json()
    assert insight["leads_scored"] == 1 and insight["sales_ready"] == 1
    assert (
        client.post(f"/api/v1/scoring/models/{model_id}/stop", headers=admin).json()["status"]
        == "stopped"
    )


def test_bad_definitions_name_the_part_at_fault(client: TestClient, admin: dict[str, str]) -> None:
    bad_field = client.post(
        "/api/v1/scoring/models",
        json={
            "name": "Bad",
            "rules": [{"points": 5, "conditions": [{"entity": "lead", "field": "nope"}]}],
        },
        headers=admin,
    )
    assert bad_field.status_code == 422
    assert bad_field.headers["content-type"].startswith("application/problem+json")
    assert bad_field.json()["field"] == "rules[0].conditions[0].field"

    gap = client.post(
        "/api/v1/scoring/models",
        json={
            "name": "Gappy",
            "grades": [
                {"name": "Cold", "min": 0, "max": 25},
                {"name": "Warm", "min": 30, "max": 60},
            ],
        },
        headers=admin,
    )
    assert gap.status_code == 422
    assert "Warm" in gap.json()["detail"] and gap.json()["field"] == "grades[1]"

    no_name = client.post("/api/v1/scoring/models", json={"name": " "}, headers=admin)
    assert no_name.status_code == 422 and no_name.json()["field"] == "name"


def test_switches_and_roles(
    client: TestClient, headers_for: Callable[[str], dict[str, str]], admin: dict[str, str]
) -> None:
    listed = client.get("/api/v1/scoring/switches", headers=admin).json()["items"]
    assert {item["key"] for item in listed} == {
        "scoring.auto_sales_ready",
        "scoring.auto_marketing_qualification",
        "scoring.delete_scores_on_stop",
    }
    assert all(item["enabled"] for item in listed)
    changed = client.put(
        "/api/v1/scoring/switches/scoring.auto_sales_ready", json={"enabled": False}, headers=admin
    ).json()["items"]
    assert {i["key"]: i["enabled"] for i in changed}["scoring.auto_sales_ready"] is False
    salesperson = headers_for("salesperson")
    assert client.get("/api/v1/scoring/models", headers=salesperson).status_code == 200
    denied = client.post("/api/v1/scoring/models", json={"name": "X"}, headers=salesperson)
    assert denied.status_code == 403


def test_predictive_refuses_without_closed_leads(client: TestClient, admin: dict[str, str]) -> None:
    refused = client.post("/api/v1/scoring/predictive/train", headers=admin)
    assert refused.status_code == 422 and refused.json()["field"] == "leads"
    assert "at least 20 of each" in refused.json()["detail"]
    assert client.get("/api/v1/scoring/predictive", headers=admin).status_code == 404
