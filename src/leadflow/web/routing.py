"""Route lookup that skips a whole router when the path cannot be one of its routes.

FastAPI (0.12x and later) keeps every included router as one entry of the app's
routes and, for each request, asks the routers in order whether one of their
routes matches, route by route. With about 240 routes, a request for a route
near the end (the pages, the outbox API) ran every one of the routes before it:
measured, that scan was the largest single cost of a request through the app
(about 2 ms of CPU of a one-row insert's 5 to 7 on this project's machine).

Every route path starts with literal text up to its first parameter
(`/api/v1/forms/` in `/api/v1/forms/{form_id}/submissions`), and a path that does
not start with one of a router's literal prefixes matches none of its routes, so
the router answers "no match" after one `str.startswith`. Routers holding
anything else (a mount, a route without a literal start, a prefix given at
include time) are asked as before. The order of the routes, partial matches (405)
and the trailing-slash redirect are FastAPI's own: only routers that cannot match
are skipped.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, routing
from fastapi.routing import APIRoute
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import Scope

# The class FastAPI wraps an included router in (private; absent in older releases,
# which copied the routes into the app instead and need nothing here).
_INCLUDED: Any = getattr(routing, "_IncludedRouter", None)


class Paths:
    """The paths a router's routes can match: exactly (a route without parameters)
    or starting with literal text (up to a route's first parameter)."""

    def __init__(self) -> None:
        self.exact: set[str] = set()
        self.starts: set[str] = set()


def router_paths(included: Any) -> Paths | None:
    """What paths the included router can match, or None when it holds something
    whose paths cannot be told from its routes."""
    context = getattr(included, "include_context", None)
    router = getattr(included, "original_router", None)
    if context is None or router is None or getattr(context, "prefix", "") != "":
        return None
    if getattr(router, "_low_priority_routes", None):
        return None
    paths = Paths()
    for route in router.routes:
        if isinstance(route, APIRoute):
            if not route.path.startswith("/"):
                return None
            if "{" in route.path:
                paths.starts.add(route.path.split("{", 1)[0])
            else:
                paths.exact.add(route.path)
        elif _INCLUDED is not None and isinstance(route, _INCLUDED):
            nested = router_paths(route)
            if nested is None:
                return None
            paths.exact.update(nested.exact)
            paths.starts.update(nested.starts)
        else:
            return None
    return paths


def _skipping_class(base: type) -> type:
    class PrefixCheckedRouter(base):  # type: ignore[misc]
        """An included router that says "no match" at once to a path none of its
        routes can start with."""

        leadflow_exact: frozenset[str] = frozenset()
        leadflow_starts: tuple[str, ...] = ()

        def matches(self, scope: Scope) -> tuple[Match, Scope]:
            if scope.get("type") in ("http", "websocket"):
                path = get_route_path(scope)
                if path not in self.leadflow_exact and not path.startswith(self.leadflow_starts):
                    return Match.NONE, {}
            result: tuple[Match, Scope] = super().matches(scope)
            return result

    return PrefixCheckedRouter


_SKIPPING: type | None = None if _INCLUDED is None else _skipping_class(_INCLUDED)


def skip_routers_that_cannot_match(app: FastAPI) -> int:
    """Give each of the app's included routers its prefix check (call once every
    router is included); returns how many routers got one."""
    if _INCLUDED is None or _SKIPPING is None:
        return 0
    checked = 0
    for route in app.router.routes:
        included: Any = route
        if type(included) is not _INCLUDED:
            continue
        paths = router_paths(included)
        if paths is None:
            continue
        included.__class__ = _SKIPPING
        included.leadflow_exact = frozenset(paths.exact)
        included.leadflow_starts = tuple(sorted(paths.starts))
        checked += 1
    return checked
