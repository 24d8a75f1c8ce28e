"""Walks the app's routes with a caller of each role: what each route answers."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from leadflow.web.auth import Authorize

# Open by design: health, the public capture endpoints and pages, login and the docs.
OPEN_ROUTES = {
    ("GET", "/health"),
    ("POST", "/api/v1/forms/{form_id}/submissions"),
    ("POST", "/api/v1/events/{event_id}/registrations"),
    ("GET", "/p/{slug}"),
    ("POST", "/p/{slug}"),
    ("GET", "/e/{event_id:int}"),
    ("POST", "/e/{event_id:int}"),
    # LinkedIn's webhook: its challenge and HMAC signature authenticate it.
    ("GET", "/api/v1/linkedin/connections/{connection_id}/webhook"),
    ("POST", "/api/v1/linkedin/connections/{connection_id}/webhook"),
    # The links in every email: signed tokens authenticate them (a forged one records nothing).
    ("GET", "/t/o/{token}"),
    ("GET", "/t/c/{token}"),
    ("GET", "/u/{token}"),
    ("POST", "/u/{token}"),
}


def all_routes(routes: list[Any]) -> list[APIRoute]:
    # FastAPI keeps included routers as branches; walk into them.
    flat: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            flat.append(route)
        elif hasattr(route, "original_router"):
            flat.extend(all_routes(route.original_router.routes))
        elif hasattr(route, "routes"):
            flat.extend(all_routes(route.routes))
    return flat


def authorize_of(route: APIRoute) -> Authorize | None:
    """The route's `Authorize`: its own dependency, or one of the dependency it takes
    (`web.calls.api_call` and `page_call` authorise before they hand the call over)."""
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop(0)
        if isinstance(dependency.call, Authorize):
            return dependency.call
        pending.extend(dependency.dependencies)
    return None


def guarded_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) that takes a signed-in caller: the routes the policy covers."""
    found: set[tuple[str, str]] = set()
    for route in all_routes(app.routes):
        if authorize_of(route) is None:
            continue
        for method in route.methods:
            if method != "HEAD":
                found.add((method, route.path))
    return sorted(found, key=lambda item: (item[1], item[0]))


def concrete(path: str) -> str:
    path = path.replace("{entity}", "contact")
    return re.sub(r"\{[^}]+\}", "987654", path)


def allowed(response: Any) -> bool:
    """Through the role check: anything but 403 (a 404 for the made-up id, a 422...)."""
    assert response.status_code != 401, response.text
    return bool(response.status_code != 403)


def answer(client: TestClient, method: str, path: str, headers: dict[str, str]) -> bool:
    response = client.request(
        method, concrete(path), headers=headers, json={}, follow_redirects=False
    )
    if response.status_code == 403 and path.startswith("/api/"):
        assert response.json()["code"] == "forbidden", (method, path, response.text)
    return allowed(response)
