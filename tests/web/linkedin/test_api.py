"""The LinkedIn REST API: connect, read the status, forms and mappings, strategies, sync now."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from leadflow.bootstrap import Container
from tests.support.fake_linkedin import CLIENT_SECRET, OWNER, FakeLinkedIn, response
from tests.support.linkedin import NOW_MS

Headers = Callable[[str], dict[str, str]]


def _connect(client: TestClient, headers: dict[str, str], fake: FakeLinkedIn) -> dict:  # type: ignore[type-arg]
    answer = client.post(
        "/api/v1/linkedin/connections",
        json={
            "name": "Acme ads",
            "owner_urn": OWNER,
            "access_token": fake.token,
            "base_url": fake.url,
            "client_secret": CLIENT_SECRET,
        },
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_connecting_answers_the_connection_and_its_backfill_job(
    client: TestClient, headers_for: Headers, fake: FakeLinkedIn
) -> None:
    fake.responses.append(response("r1", 1, NOW_MS - 60_000, {13: "ada@example.com"}))
    marketer = headers_for("marketer")

    created = _connect(client, marketer, fake)

    assert created["owner_urn"] == OWNER and created["token_set"] is True
    assert "access_token" not in created and "client_secret" not in created
    job = client.get(f"/api/v1/jobs/{created['job_id']}", headers=marketer).json()
    assert (job["kind"], job["status"], job["result"]["created"]) == (
        "linkedin.sync",
        "succeeded",
        1,
    )
    status = client.get(f"/api/v1/linkedin/connections/{created['id']}", headers=marketer).json()
    assert (status["status"], status["counts"]["created"], status["forms"]) == ("ok", 1, 1)


def test_an_owner_is_connected_once(
    client: TestClient, headers_for: Headers, fake: FakeLinkedIn
) -> None:
    first = _connect(client, headers_for("admin"), fake)

    again = client.post(
        "/api/v1/linkedin/connections",
        json={"name": "Again", "owner_urn": OWNER, "access_token": "t"},
        headers=headers_for("admin"),
    )

    assert again.status_code == 409
    assert (again.json()["code"], again.json()["existing_id"]) == ("duplicate", first["id"])


def test_a_bad_owner_or_version_names_its_field(client: TestClient, headers_for: Headers) -> None:
    bad_owner = client.post(
        "/api/v1/linkedin/connections",
        json={"name": "X", "owner_urn": "acme", "access_token": "t"},
        headers=headers_for("admin"),
    )
    bad_version = client.post(
        "/api/v1/linkedin/connections",
        json={"name": "X", "owner_urn": OWNER, "access_token": "t", "api_version": "2025"},
        headers=headers_for("admin"),
    )

    assert (bad_owner.status_code, bad_owner.json()["field"]) == (422, "owner_urn")
    assert (bad_version.status_code, bad_version.json()["field"]) == (422, "api_version")


def test_forms_show_each_question_and_where_it_goes_and_take_new_mappings(
    client: TestClient, headers_for: Headers, fake: FakeLinkedIn
) -> None:
    admin = headers_for("admin")
    connection = _connect(client, admin, fake)
    [form] = client.get(
        f"/api/v1/linkedin/connections/{connection['id']}/forms", headers=admin
    ).json()["items"]
    by_id = {item["question_id"]: item for item in form["questions"]}
    assert (by_id["13"]["lead_field"], by_id["13"]["mapped_by"]) == ("email", "predefined")
    assert by_id["17"]["lead_field"] is None

    mapped = client.put(
        f"/api/v1/linkedin/forms/{form['id']}/mappings",
        json={"mappings": {"17": "description"}},
        headers=admin,
    )
    unknown = client.put(
        f"/api/v1/linkedin/forms/{form['id']}/mappings",
        json={"mappings": {"99": "description"}},
        headers=admin,
    )

    assert mapped.status_code == 200
    changed = {item["question_id"]: item for item in mapped.json()["questions"]}
    assert (changed["17"]["lead_field"], changed["17"]["mapped_by"]) == ("description", "question")
    assert (unknown.status_code, unknown.json()["field"]) == (422, "mappings.99")


def test_predefined_mappings_refuse_unknown_types_and_fields(
    client: TestClient, headers_for: Headers
) -> None:
    admin = headers_for("admin")
    listed = client.get("/api/v1/linkedin/mappings", headers=admin).json()["items"]
    assert {"predefined_field": "EMAIL", "label": "Email", "lead_field": "email"} in listed

    wrong_type = client.put(
        "/api/v1/linkedin/mappings", json={"mappings": {"NICKNAME": "email"}}, headers=admin
    )
    wrong_field = client.put(
        "/api/v1/linkedin/mappings", json={"mappings": {"INDUSTRY": "status"}}, headers=admin
    )

    assert (wrong_type.status_code, wrong_type.json()["field"]) == (422, "mappings.NICKNAME")
    assert (wrong_field.status_code, wrong_field.json()["code"]) == (422, "unknown_field")


def test_one_strategy_is_active_and_the_active_one_cannot_be_deleted(
    client: TestClient, headers_for: Headers
) -> None:
    admin = headers_for("admin")
    [default] = client.get("/api/v1/linkedin/strategies", headers=admin).json()["items"]
    assert (default["fields"], default["is_active"], default["enable_contact_creation"]) == (
        ["email"],
        True,
        True,
    )
    phone = client.post(
        "/api/v1/linkedin/strategies",
        json={"name": "Phone", "fields": ["phone"], "always_create_lead": True},
        headers=admin,
    ).json()

    activated = client.post(f"/api/v1/linkedin/strategies/{phone['id']}/activate", headers=admin)
    refused = client.delete(f"/api/v1/linkedin/strategies/{phone['id']}", headers=admin)
    removed = client.delete(f"/api/v1/linkedin/strategies/{default['id']}", headers=admin)

    assert activated.json()["is_active"] is True
    assert refused.status_code == 409
    assert removed.status_code == 204
    [left] = client.get("/api/v1/linkedin/strategies", headers=admin).json()["items"]
    assert (left["name"], left["is_active"], left["always_create_lead"]) == ("Phone", True, True)


def test_sync_now_runs_a_pull_and_shows_the_job(
    client: TestClient, headers_for: Headers, fake: FakeLinkedIn, container: Container
) -> None:
    admin = headers_for("admin")
    connection = _connect(client, admin, fake)
    fake.responses.append(response("r2", 1, NOW_MS - 60_000, {13: "grace@example.com"}))

    answer = client.post(
        f"/api/v1/linkedin/connections/{connection['id']}/sync", json={}, headers=admin
    )

    assert answer.status_code == 202
    assert (answer.json()["params"]["mode"], answer.json()["kind"]) == ("pull", "linkedin.sync")
    responses = client.get(
        f"/api/v1/linkedin/connections/{connection['id']}/responses", headers=admin
    ).json()["items"]
    assert [(item["response_id"], item["outcome"]) for item in responses] == [("r2", "created")]


def test_salespeople_may_not_manage_linkedin(client: TestClient, headers_for: Headers) -> None:
    answer = client.get("/api/v1/linkedin/connections", headers=headers_for("salesperson"))

    assert (answer.status_code, answer.json()["code"]) == (403, "forbidden")
