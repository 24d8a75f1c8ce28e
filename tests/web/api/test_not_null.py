"""A PATCH may leave a field out, but null into a field whose column is NOT NULL is 422."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"


def _created(client: TestClient, admin: dict[str, str], url: str, body: dict[str, Any]) -> int:
    response = client.post(url, json=body, headers=admin)
    assert response.status_code == 201, response.text
    created: int = response.json()["id"]
    return created


def test_null_into_a_not_null_field_is_422_naming_it(
    client: TestClient, admin: dict[str, str]
) -> None:
    rule = client.get("/api/v1/automation/rules", headers=admin).json()["items"][0]["id"]
    lead = _created(client, admin, "/api/v1/leads", {"topic": "t"})
    account = _created(client, admin, "/api/v1/accounts", {"name": "A"})
    form = _created(client, admin, "/api/v1/forms", {"name": "W", "slug": "w"})
    event = _created(
        client,
        admin,
        "/api/v1/events",
        {"name": "Expo", "starts_at": "2030-01-01T09:00:00Z", "ends_at": "2030-01-01T17:00Z"},
    )
    strategy = client.get("/api/v1/matching-strategies", headers=admin).json()["items"][0]["id"]
    user = client.get("/api/v1/me", headers=admin).json()["id"]
    for url, field in [
        (f"/api/v1/automation/rules/{rule}", "description"),
        (f"/api/v1/automation/rules/{rule}", "position"),
        (f"/api/v1/automation/rules/{rule}", "actions"),
        (f"/api/v1/leads/{lead}", "status"),
        (f"/api/v1/leads/{lead}", "sales_ready"),
        (f"/api/v1/accounts/{account}", "name"),
        (f"/api/v1/forms/{form}", "update_mode"),
        (f"/api/v1/forms/{form}", "fields"),
        (f"/api/v1/events/{event}", "starts_at"),
        (f"/api/v1/events/{event}", "create_leads"),
        (f"/api/v1/matching-strategies/{strategy}", "fields"),
        (f"/api/v1/users/{user}", "name"),
        (f"/api/v1/users/{user}", "is_active"),
    ]:
        response = client.patch(url, json={field: None}, headers=admin)
        assert response.headers["content-type"] == PROBLEM, response.text
        problem = response.json()
        assert (response.status_code, problem["code"], problem["field"]) == (
            422,
            "required",
            field,
        ), url


def test_null_into_a_nullable_field_empties_it(client: TestClient, admin: dict[str, str]) -> None:
    lead = _created(client, admin, "/api/v1/leads", {"topic": "t", "campaign": "Spring"})
    emptied = client.patch(f"/api/v1/leads/{lead}", json={"campaign": None}, headers=admin)
    assert (emptied.status_code, emptied.json()["campaign"]) == (200, None)
    form = _created(client, admin, "/api/v1/forms", {"name": "W", "slug": "w", "campaign": "S"})
    changed = client.patch(f"/api/v1/forms/{form}", json={"campaign": None}, headers=admin)
    assert (changed.status_code, changed.json()["campaign"]) == (200, None)
