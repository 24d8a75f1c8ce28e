"""Routers that cannot match a path are skipped (web/routing.py) without changing
which route answers any path."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Match

from leadflow.bootstrap import Container
from leadflow.web import routing
from leadflow.web.app import create_app


def _api_routes(routes: list[Any]) -> list[APIRoute]:
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found.extend(_api_routes(route.original_router.routes))
    return found


def _answering(app: FastAPI, method: str, path: str) -> tuple[str, int | None]:
    """Which of the app's routes (by position) its lookup settles on: the first full
    match, else the first partial one (a 405), as FastAPI's router does."""
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}
    partial: tuple[str, int | None] | None = None
    for index, route in enumerate(app.router.routes):
        match, _child = route.matches(dict(scope))
        if match == Match.FULL:
            return "full", index
        if match == Match.PARTIAL and partial is None:
            partial = ("partial", index)
    return partial or ("none", None)


def _unchecked(app: FastAPI) -> FastAPI:
    for route in app.router.routes:
        if routing._SKIPPING is not None and type(route) is routing._SKIPPING:
            route.__class__ = routing._INCLUDED
    return app


def test_every_route_answers_as_without_the_checks(container: Container) -> None:
    checked = create_app(container)
    plain = _unchecked(create_app(container))
    paths = {re.sub(r"\{[^}]+\}", "7", route.path) for route in _api_routes(checked.router.routes)}
    # Paths no route has, and near misses of real ones.
    paths |= {"/nowhere", "/api/v1/formsx", "/api/v1/forms/7/submissions/", "/api/v1"}
    compared = 0
    for path in sorted(paths):
        for method in ("GET", "POST", "PATCH", "DELETE"):
            assert _answering(checked, method, path) == _answering(plain, method, path), (
                method,
                path,
            )
            compared += 1
    assert compared > 400


def test_most_routers_are_checked_and_skipped(container: Container) -> None:
    app = create_app(container)
    skipping = [route for route in app.router.routes if hasattr(route, "leadflow_starts")]
    assert len(skipping) >= 30
    scope = {"type": "http", "method": "POST", "path": "/api/v1/outbox/parked/retry"}
    scope |= {"root_path": "", "headers": []}
    answered = [route for route in skipping if route.matches(dict(scope))[0] != Match.NONE]
    assert len(answered) == 1
