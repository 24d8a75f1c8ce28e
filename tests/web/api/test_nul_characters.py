"""Text holding NUL (U+0000) is refused alike on both databases: 422 naming where it is."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from leadflow.bootstrap import Container
from leadflow.contacts.models import Contact

PROBLEM = "application/problem+json"


def _problem(response: Any) -> tuple[int, str, str | None]:
    assert response.headers["content-type"] == PROBLEM, response.text
    body = response.json()
    return response.status_code, body["code"], body.get("field")


def _contacts(container: Container) -> int:
    with container.read_session() as session:
        return int(session.scalar(select(func.count()).select_from(Contact)) or 0)


def test_nul_in_a_json_body_is_422_naming_the_field(
    client: TestClient, admin: dict[str, str], container: Container
) -> None:
    assert client.post("/api/v1/contacts", json={"first_name": "Ada"}, headers=admin).is_success
    for url, body, field in [
        ("/api/v1/contacts", {"first_name": "Ad\x00a"}, "first_name"),
        ("/api/v1/contacts", {"custom": {"no\x00te": "x"}}, "custom.no\x00te"),
        ("/api/v1/interactions", {"contact_id": 1, "kind": "page_visited",
                                  "data": {"pages": ["/", "/a\x00"]}}, "data.pages[1]"),
        ("/api/v1/automation/rules", {"name": "\x00"}, "name"),
    ]:  # fmt: skip
        response = client.post(url, json=body, headers=admin)
        assert _problem(response) == (422, "nul_character", field), body
    assert _contacts(container) == 1


def test_nul_in_the_public_form_and_event_apis_is_422(
    client: TestClient, admin: dict[str, str], container: Container
) -> None:
    form = client.post("/api/v1/forms", json={"name": "W", "slug": "w"}, headers=admin).json()
    event = client.post(
        "/api/v1/events",
        json={"name": "Expo", "starts_at": "2030-01-01T09:00:00Z", "ends_at": "2030-01-01T17:00Z"},
        headers=admin,
    ).json()
    submitted = client.post(
        f"/api/v1/forms/{form['id']}/submissions",
        json={"email": "a@example.com", "company": "\x00"},
    )
    assert _problem(submitted) == (422, "nul_character", "company")
    registered = client.post(
        f"/api/v1/events/{event['id']}/registrations",
        json={"email": "a@example.com", "first_name": "A\x00"},
    )
    assert _problem(registered) == (422, "nul_character", "first_name")
    assert _contacts(container) == 0


def test_nul_in_a_query_string_or_a_path_is_422_naming_the_parameter(
    client: TestClient, admin: dict[str, str]
) -> None:
    assert client.get("/api/v1/contacts?first_name=Ada", headers=admin).status_code == 200
    for url, field in [
        ("/api/v1/contacts?first_name=Ad%00a", "first_name"),
        ("/api/v1/contacts?q=%00", "q"),
        ("/api/v1/matching-strategies?target=%00", "target"),
        ("/api/v1/queues/calls%00", "queue"),
    ]:
        response = client.get(url, headers=admin)
        assert _problem(response) == (422, "nul_character", field), url


def test_nul_written_as_an_escape_in_a_process_definition_is_422(
    client: TestClient, admin: dict[str, str]
) -> None:
    for content_type, body, field in [
        ("application/yaml", 'key: lead\nname: "Sales\\0"\n', "name"),
        ("application/json", '{"key": "lead", "stages": [{"name": "\\u0000"}]}', "stages[0].name"),
    ]:
        response = client.post(
            "/api/v1/processes/import",
            content=body,
            headers={**admin, "content-type": content_type},
        )
        assert _problem(response) == (422, "nul_character", field), body


def test_nul_in_a_form_encoded_page_post_is_refused_with_a_page(
    client: TestClient, admin: dict[str, str], container: Container
) -> None:
    client.post("/api/v1/forms", json={"name": "W", "slug": "w"}, headers=admin)
    response = client.post("/p/w", data={"email": "a@example.com", "first_name": "A\x00"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "NUL" in response.text
    assert _contacts(container) == 0
