"""Walks every API route with every role: each route checks the caller's role."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from leadflow.users.domain import Permission, Role, role_allows
from leadflow.web.auth import Authorize

OPEN_ROUTES = {
    ("GET", "/health"),
    # Public capture endpoints: rate-limited instead of signed in.
    ("POST", "/api/v1/forms/{form_id}/submissions"),
    ("POST", "/api/v1/events/{event_id}/registrations"),
    # LinkedIn's webhook: its challenge and HMAC signature authenticate it.
    ("GET", "/api/v1/linkedin/connections/{connection_id}/webhook"),
    ("POST", "/api/v1/linkedin/connections/{connection_id}/webhook"),
}


def _authorize_of(route: APIRoute) -> Authorize | None:
    for dependency in route.dependant.dependencies:
        if isinstance(dependency.call, Authorize):
            return dependency.call
    return None


def _all_routes(routes: list[Any]) -> list[APIRoute]:
    # FastAPI keeps included routers as branches; walk into them.
    flat: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            flat.append(route)
        elif hasattr(route, "original_router"):
            flat.extend(_all_routes(route.original_router.routes))
        elif hasattr(route, "routes"):
            flat.extend(_all_routes(route.routes))
    return flat


def _api_routes(app: FastAPI) -> list[tuple[str, str, Permission | None]]:
    found: list[tuple[str, str, Permission | None]] = []
    for route in _all_routes(app.routes):
        for method in sorted(route.methods):
            if (method, route.path) in OPEN_ROUTES:
                continue
            if not route.path.startswith("/api/"):
                continue
            guard = _authorize_of(route)
            assert guard is not None, f"{method} {route.path} has no role check"
            found.append((method, route.path, guard.permission))
    return found


def _concrete(path: str) -> str:
    path = path.replace("{entity}", "contact")
    return re.sub(r"\{[^}]+\}", "987654", path)


def test_every_api_route_is_guarded(app: FastAPI) -> None:
    routes = _api_routes(app)
    assert len(routes) >= 25


@pytest.mark.parametrize("role", list(Role))
def test_each_role_gets_exactly_what_its_permissions_allow(
    app: FastAPI,
    client: TestClient,
    headers_for: Callable[[str], dict[str, str]],
    role: Role,
) -> None:
    headers = headers_for(role.value)
    for method, path, permission in _api_routes(app):
        response = client.request(method, _concrete(path), headers=headers, json={})
        allowed = permission is None or role_allows(role, permission)
        if allowed:
            assert response.status_code not in (401, 403), (method, path, response.json())
        else:
            assert response.status_code == 403, (method, path, response.status_code)
            assert response.json()["code"] == "forbidden"


def test_every_api_route_refuses_anonymous_callers(app: FastAPI, client: TestClient) -> None:
    for method, path, _ in _api_routes(app):
        response = client.request(method, _concrete(path), json={})
        assert response.status_code == 401, (method, path, response.status_code)


PUBLIC_PAGES = {
    "/login",
    "/docs",
    "/openapi.json",
    "/favicon.ico",
    # Landing pages and event registration: public by design.
    "/p/{slug}",
    "/e/{event_id:int}",
}


def test_every_page_route_checks_the_caller(app: FastAPI) -> None:
    pages = [route for route in _all_routes(app.routes) if not route.path.startswith("/api/")]
    guarded = [route.path for route in pages if _authorize_of(route) is not None]
    unguarded = {route.path for route in pages if _authorize_of(route) is None}
    assert unguarded <= PUBLIC_PAGES | {"/health"}
    assert "/contacts/{record_id}" in guarded or any("/contacts/" in path for path in guarded)
