"""Typed request bodies refuse at the edge what the OpenAPI document refuses, naming the field."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

RULE = {
    "name": "Director",
    "points": 10,
    "conditions": [
        {"entity": "contact", "field": "job_title", "op": "contains", "value": "director"},
        {"type": "behaviour", "kind": "email_opened", "frequency": "each", "cap": 3},
    ],
}


def test_a_scoring_model_read_from_the_api_is_accepted_back_as_is(
    client: TestClient, admin: dict[str, str]
) -> None:
    created = client.post(
        "/api/v1/scoring/models", json={"name": "Main", "rules": [RULE]}, headers=admin
    )
    assert created.status_code == 201, created.text
    read: dict[str, Any] = created.json()

    again = client.patch(f"/api/v1/scoring/models/{read['id']}", json=read, headers=admin)

    assert again.status_code == 200, again.text
    assert again.json()["rules"] == read["rules"]


def test_true_is_not_a_number_of_points(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/scoring/models",
        json={"name": "Main", "rules": [{**RULE, "points": True}]},
        headers=admin,
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert (response.json()["code"], response.json()["field"]) == (
        "invalid_value",
        "rules[0].points",
    )


def test_a_rescore_names_its_model_by_a_json_integer(
    client: TestClient, admin: dict[str, str]
) -> None:
    response = client.post("/api/v1/scoring/rescore", json={"model_id": "1"}, headers=admin)
    assert (response.status_code, response.json()["field"]) == (422, "model_id")
    unknown = client.post("/api/v1/scoring/rescore", json={"model_id": 987654}, headers=admin)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")


def test_a_custom_field_value_is_a_scalar(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/contacts",
        json={"email": "ada@example.com", "custom": {"tier": {"nested": 1}}},
        headers=admin,
    )
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("invalid_value", "custom.tier")


def test_a_form_submission_value_is_a_scalar(client: TestClient, admin: dict[str, str]) -> None:
    form = client.post(
        "/api/v1/forms", json={"name": "Webinar", "slug": "webinar"}, headers=admin
    ).json()
    path = f"/api/v1/forms/{form['id']}/submissions"

    nested = client.post(path, json={"email": "ada@example.com", "company": ["A", "B"]})
    accepted = client.post(path, json={"email": "ada@example.com", "company": 42})

    assert (nested.status_code, nested.json()["field"]) == (422, "company")
    assert (accepted.status_code, accepted.json()["status"]) == (202, "accepted")
