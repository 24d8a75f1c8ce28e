"""Every error is application/problem+json with a stable code and the field at fault."""

from collections.abc import Callable

from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"


def test_invalid_email_is_422_naming_the_field(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post("/api/v1/contacts", json={"email": "nope"}, headers=admin)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert (problem["code"], problem["field"], problem["status"]) == ("invalid_email", "email", 422)


def test_unknown_field_is_422(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post("/api/v1/leads", json={"topik": "typo"}, headers=admin)
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("unknown_field", "topik")


def test_unknown_custom_field_is_422(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post("/api/v1/leads", json={"custom": {"ghost": 1}}, headers=admin)
    assert (response.status_code, response.json()["field"]) == (422, "ghost")


def test_malformed_json_is_400(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/contacts",
        content=b'{"email": ',
        headers={**admin, "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == "malformed_json"


def test_a_body_over_one_mebibyte_is_413(client: TestClient, admin: dict[str, str]) -> None:
    body = b'{"description": "' + b"x" * (1024 * 1024) + b'"}'
    response = client.post(
        "/api/v1/leads", content=body, headers={**admin, "content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"


def test_unknown_id_is_404(client: TestClient, admin: dict[str, str]) -> None:
    response = client.get("/api/v1/accounts/123456", headers=admin)
    assert response.status_code == 404
    assert (response.json()["code"], response.json()["field"]) == ("not_found", "id")


def test_deleting_a_contact_with_leads_is_409(client: TestClient, admin: dict[str, str]) -> None:
    contact = client.post("/api/v1/contacts", json={"email": "c@example.com"}, headers=admin)
    contact_id = contact.json()["id"]
    lead = client.post(
        "/api/v1/leads", json={"topic": "t", "parent_contact_id": contact_id}, headers=admin
    )
    response = client.delete(f"/api/v1/contacts/{contact_id}", headers=admin)
    assert response.status_code == 409
    assert response.json()["code"] == "has_dependents"
    assert response.json()["lead_ids"] == [lead.json()["id"]]
    unlinked = client.delete(f"/api/v1/contacts/{contact_id}?unlink_leads=true", headers=admin)
    assert unlinked.status_code == 204
    after = client.get(f"/api/v1/leads/{lead.json()['id']}", headers=admin)
    assert after.json()["parent_contact_id"] is None


def test_no_credentials_is_401(client: TestClient) -> None:
    response = client.get("/api/v1/contacts")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_a_wrong_token_is_401(client: TestClient) -> None:
    response = client.get("/api/v1/contacts", headers={"Authorization": "Bearer lf_forged"})
    assert (response.status_code, response.json()["code"]) == (401, "unauthenticated")


def test_a_forbidden_role_is_403(
    client: TestClient, headers_for: Callable[[str], dict[str, str]]
) -> None:
    response = client.post(
        "/api/v1/fields",
        json={"entity": "contact", "name": "x", "type": "text"},
        headers=headers_for("marketer"),
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_a_cookie_session_write_without_csrf_is_refused(
    client: TestClient, container: object
) -> None:
    from tests.support.factories import PASSWORD, user_with_token

    _, email, _ = user_with_token(container, "marketer")  # type: ignore[arg-type]
    login = client.post(
        "/login", data={"email": email, "password": PASSWORD, "next": "/"}, follow_redirects=False
    )
    assert login.status_code == 303
    refused = client.post("/api/v1/contacts", json={"email": "s@example.com"})
    assert (refused.status_code, refused.json()["code"]) == (403, "csrf_failed")
