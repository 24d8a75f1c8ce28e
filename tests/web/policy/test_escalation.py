"""A sales manager cannot make themself or anyone more than their role allows.

Each refusal stands beside the same call made by an admin, which succeeds: the
403 is the role check, not a malformed request.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from leadflow.bootstrap import Container
from leadflow.users.services import list_users
from tests.support.factories import user_with_token
from tests.web.pages.test_pages import csrf_of, log_in

Call = tuple[str, str, dict[str, Any]]


@pytest.fixture
def manager(container: Container) -> tuple[int, dict[str, str]]:
    user_id, _, token = user_with_token(container, "sales_manager")
    return user_id, {"Authorization": f"Bearer {token}"}


def _roles(container: Container) -> list[tuple[str, str]]:
    with container.read_session() as session:
        return sorted((user.email, user.role) for user in list_users(session))


def _refused_then_done_by_admin(
    client: TestClient, call: Call, manager: dict[str, str], admin: dict[str, str]
) -> Any:
    method, url, kwargs = call
    refused = client.request(method, url, headers=manager, **kwargs)
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden"), refused.text
    done = client.request(method, url, headers=admin, **kwargs)
    assert done.status_code in (200, 201, 204), done.text
    return done


def test_a_sales_manager_cannot_add_an_admin(
    client: TestClient,
    container: Container,
    manager: tuple[int, dict[str, str]],
    admin: dict[str, str],
) -> None:
    before = _roles(container)
    body = {"email": "eve@example.com", "name": "Eve", "role": "admin", "password": "pw-123456789"}
    refused = client.post("/api/v1/users", json=body, headers=manager[1])
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert _roles(container) == before
    created = client.post("/api/v1/users", json=body, headers=admin)
    assert (created.status_code, created.json()["role"]) == (201, "admin")
    assert ("eve@example.com", "admin") in _roles(container)


def test_a_sales_manager_cannot_make_themself_an_admin(
    client: TestClient,
    container: Container,
    manager: tuple[int, dict[str, str]],
    admin: dict[str, str],
) -> None:
    user_id, headers = manager
    call: Call = ("PATCH", f"/api/v1/users/{user_id}", {"json": {"role": "admin"}})
    method, url, kwargs = call
    refused = client.request(method, url, headers=headers, **kwargs)
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert client.get("/api/v1/me", headers=headers).json()["role"] == "sales_manager"
    done = _refused_then_done_by_admin(client, call, headers, admin)
    assert done.json()["role"] == "admin"


def test_a_sales_manager_cannot_issue_tokens_and_no_token_outranks_its_user(
    client: TestClient, manager: tuple[int, dict[str, str]], admin: dict[str, str]
) -> None:
    user_id, headers = manager
    for role in ("admin", "sales_manager"):
        refused = client.post(
            f"/api/v1/users/{user_id}/tokens", json={"name": "mine", "role": role}, headers=headers
        )
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    # Not even an admin can give the manager's token more than the manager may do...
    beyond = client.post(
        f"/api/v1/users/{user_id}/tokens", json={"name": "up", "role": "admin"}, headers=admin
    )
    assert (beyond.status_code, beyond.json()["field"]) == (422, "role")
    # ...while a token of the manager's own role, or a narrower one, is issued.
    for role in ("sales_manager", "salesperson"):
        issued = client.post(
            f"/api/v1/users/{user_id}/tokens", json={"name": role, "role": role}, headers=admin
        )
        assert (issued.status_code, issued.json()["role"]) == (201, role)
        token = {"Authorization": f"Bearer {issued.json()['token']}"}
        assert client.get("/api/v1/me", headers=token).json()["role"] == role


def test_a_sales_manager_cannot_add_or_remove_fields(
    client: TestClient, manager: tuple[int, dict[str, str]], admin: dict[str, str]
) -> None:
    body = {"entity": "lead", "name": "budget", "label": "Budget", "type": "integer"}
    _refused_then_done_by_admin(
        client, ("POST", "/api/v1/fields", {"json": body}), manager[1], admin
    )
    names = [
        item["name"] for item in client.get("/api/v1/fields/lead", headers=admin).json()["items"]
    ]
    assert "budget" in names
    _refused_then_done_by_admin(
        client, ("DELETE", "/api/v1/fields/lead/budget", {}), manager[1], admin
    )


def test_a_sales_manager_cannot_import_a_process(
    client: TestClient, manager: tuple[int, dict[str, str]], admin: dict[str, str]
) -> None:
    exported = client.get("/api/v1/processes/lead_to_opportunity/export?format=yaml", headers=admin)
    data = yaml.safe_load(exported.text)
    data["name"] = "Shortcut to sales"
    call: Call = (
        "POST",
        "/api/v1/processes/import",
        {"content": yaml.safe_dump(data), "headers": {"content-type": "application/yaml"}},
    )
    method, url, kwargs = call
    extra = kwargs.pop("headers")
    refused = client.request(method, url, headers={**manager[1], **extra}, **kwargs)
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    listed = client.get("/api/v1/processes", headers=admin).json()
    assert [item["version"] for item in listed] == [1]
    done = client.request(method, url, headers={**admin, **extra}, **kwargs)
    assert (done.status_code, done.json()["version"]) == (201, 2)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/switches/scoring.auto_sales_ready",
        "/api/v1/scoring/switches/scoring.auto_sales_ready",
    ],
)
def test_a_sales_manager_cannot_flip_switches(
    client: TestClient, manager: tuple[int, dict[str, str]], admin: dict[str, str], url: str
) -> None:
    _refused_then_done_by_admin(
        client, ("PUT", url, {"json": {"enabled": False}}), manager[1], admin
    )
    listed = client.get("/api/v1/switches", headers=manager[1]).json()["items"]
    assert {item["key"]: item["enabled"] for item in listed}["scoring.auto_sales_ready"] is False


def test_a_sales_manager_cannot_add_an_admin_from_the_settings_page(
    client: TestClient, container: Container
) -> None:
    log_in(client, container, "sales_manager")
    page = client.get("/settings/users")
    assert page.status_code == 200 and 'id="add-user-title"' not in page.text
    before = _roles(container)
    refused = client.post(
        "/settings/users",
        data={
            "csrf_token": csrf_of(page.text),
            "email": "eve@example.com",
            "name": "Eve",
            "role": "admin",
            "password": "",
        },
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert _roles(container) == before
