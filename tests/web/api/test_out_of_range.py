"""Numbers a column cannot hold: 404 for ids in paths, 422 naming the field elsewhere."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"
BEYOND_BIGINT = 2**63
BEYOND_INTEGER = 2**31


def _problem(response: Any) -> tuple[int, str, str | None]:
    assert response.headers["content-type"] == PROBLEM, response.text
    body = response.json()
    return response.status_code, body["code"], body.get("field")


def test_an_id_beyond_bigint_in_a_path_is_404(client: TestClient, admin: dict[str, str]) -> None:
    requests = [
        ("GET", f"/api/v1/contacts/{BEYOND_BIGINT}", "record_id"),
        ("PATCH", f"/api/v1/leads/{BEYOND_BIGINT}", "record_id"),
        ("GET", f"/api/v1/scoring/models/{-BEYOND_BIGINT - 1}", "model_id"),
        ("POST", f"/api/v1/tasks/{BEYOND_BIGINT}/complete", "task_id"),
        ("GET", f"/api/v1/contacts/{'9' * 5000}", "record_id"),
    ]
    for method, url, field in requests:
        response = client.request(method, url, json={}, headers=admin)
        assert _problem(response) == (404, "not_found", field), url
    largest = client.get(f"/api/v1/contacts/{BEYOND_BIGINT - 1}", headers=admin)
    assert _problem(largest) == (404, "not_found", "id")


def test_the_public_form_api_answers_404_for_an_id_beyond_bigint(client: TestClient) -> None:
    response = client.post(f"/api/v1/forms/{BEYOND_BIGINT}/submissions", json={"email": "a@b.co"})
    assert _problem(response) == (404, "not_found", "form_id")


def test_an_integer_field_beyond_its_column_is_422_naming_it(
    client: TestClient, admin: dict[str, str]
) -> None:
    fits = client.post(
        "/api/v1/accounts", json={"name": "A", "employee_count": BEYOND_INTEGER - 1}, headers=admin
    )
    assert fits.status_code == 201
    too_many = client.post(
        "/api/v1/accounts", json={"name": "A", "employee_count": BEYOND_INTEGER}, headers=admin
    )
    assert _problem(too_many) == (422, "out_of_range", "employee_count")
    reference = client.post(
        "/api/v1/leads", json={"topic": "t", "parent_contact_id": BEYOND_BIGINT}, headers=admin
    )
    assert _problem(reference) == (422, "out_of_range", "parent_contact_id")
    interaction = client.post(
        "/api/v1/interactions",
        json={"contact_id": BEYOND_BIGINT, "kind": "page_visited"},
        headers=admin,
    )
    assert _problem(interaction) == (422, "out_of_range", "contact_id")


def test_a_custom_integer_beyond_integer_is_422_naming_it(
    client: TestClient, admin: dict[str, str]
) -> None:
    added = client.post(
        "/api/v1/fields",
        json={"entity": "contact", "name": "seats", "type": "integer"},
        headers=admin,
    )
    assert added.status_code == 201
    fits = client.post("/api/v1/contacts", json={"custom": {"seats": 12}}, headers=admin)
    assert fits.status_code == 201
    response = client.post(
        "/api/v1/contacts", json={"custom": {"seats": BEYOND_INTEGER}}, headers=admin
    )
    assert _problem(response) == (422, "out_of_range", "seats")


def test_a_filter_beyond_its_column_is_422_naming_it(
    client: TestClient, admin: dict[str, str]
) -> None:
    assert client.get("/api/v1/leads?owner_id=1", headers=admin).status_code == 200
    for query, field in [
        (f"owner_id={BEYOND_BIGINT}", "owner_id"),
        (f"owner_id__in=1,{BEYOND_BIGINT}", "owner_id"),
        (f"id__gt={-BEYOND_BIGINT - 1}", "id"),
    ]:
        response = client.get(f"/api/v1/leads?{query}", headers=admin)
        assert _problem(response) == (422, "out_of_range", field), query
    accounts = client.get(f"/api/v1/accounts?employee_count__gte={BEYOND_INTEGER}", headers=admin)
    assert _problem(accounts) == (422, "out_of_range", "employee_count")


def test_a_decimal_beyond_its_precision_is_422_and_extra_places_are_rounded(
    client: TestClient, admin: dict[str, str]
) -> None:
    largest = client.post(
        "/api/v1/accounts",
        json={"name": "A", "annual_revenue": "9999999999999999.99"},
        headers=admin,
    )
    assert (largest.status_code, largest.json()["annual_revenue"]) == (201, 1e16 - 0.01)
    rounded = client.post(
        "/api/v1/leads", json={"topic": "t", "budget_amount": "12.345"}, headers=admin
    )
    assert (rounded.status_code, rounded.json()["budget_amount"]) == (201, 12.35)
    for body, field in [
        ({"name": "A", "annual_revenue": 1e16}, "annual_revenue"),
        ({"name": "A", "annual_revenue": "9999999999999999.995"}, "annual_revenue"),
        ({"name": "A", "annual_revenue": "1E+999999999"}, "annual_revenue"),
    ]:
        response = client.post("/api/v1/accounts", json=body, headers=admin)
        assert _problem(response) == (422, "out_of_range", field), body
    budget = client.post("/api/v1/leads", json={"budget_amount": -1e20}, headers=admin)
    assert _problem(budget) == (422, "out_of_range", "budget_amount")


def test_an_integer_beyond_its_column_outside_the_registry_is_422_naming_it(
    client: TestClient, admin: dict[str, str]
) -> None:
    for method, url, body, field in [
        ("POST", "/api/v1/tasks", {"lead_id": BEYOND_BIGINT}, "lead_id"),
        ("PATCH", "/api/v1/automation/rules/1", {"position": BEYOND_INTEGER}, "position"),
        ("PATCH", "/api/v1/users/1", {"capacity": BEYOND_INTEGER}, "capacity"),
        ("POST", "/api/v1/scoring/rescore", {"model_id": BEYOND_BIGINT}, "model_id"),
        ("POST", "/api/v1/scoring/models", {"name": "m", "sales_ready_threshold": BEYOND_INTEGER},
         "sales_ready_threshold"),
    ]:  # fmt: skip
        response = client.request(method, url, json=body, headers=admin)
        assert _problem(response) == (422, "out_of_range", field), url
