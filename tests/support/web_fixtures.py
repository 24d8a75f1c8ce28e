"""Web fixtures for every test folder: the app built by the real bootstrap, callers of each role.

One app per test process, pointed at each test's container: FastAPI builds each
route's handling on first use per app (dependencies, validation models), which
cost a web test about a second of CPU when every test built its own app.
`create_app` ties an app to its container in two places only, `app.state.container`
and the middleware's arguments; `app_for` gives the app a new state holding the
test's container (what requests cached there, such as the capture rate limiters,
starts again) and new middleware arguments, and refuses when `create_app` ties
anything else to the container, so a new tie is noticed rather than left pointing
at an earlier test's container. A test that adds routes gets a new app next time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.datastructures import State

from leadflow.bootstrap import Container
from leadflow.web.app import create_app
from leadflow.web.limits import BodySizeLimit
from leadflow.web.settle import SettleOwnWrites
from tests.support.factories import user_with_token
from tests.support.servers import ServerUnavailable, serving

_shared: list[FastAPI] = []
_shared_routes: list[int] = []


def _container_arguments(middleware_class: type, container: Container) -> dict[str, object]:
    settings = container.settings
    if middleware_class is SettleOwnWrites:
        return {"relay": container.relay, "timeout": settings.settle_seconds}
    if middleware_class is BodySizeLimit:
        return {
            "max_bytes": settings.max_body_bytes,
            "max_batch_bytes": settings.max_batch_body_bytes,
        }
    raise AssertionError(
        f"create_app adds {middleware_class.__name__}: say in app_for "
        "(tests/support/web_fixtures.py) which of its arguments come from the container"
    )


def _state_names(app: FastAPI) -> set[str]:
    return set(vars(app.state)["_state"])


def app_for(container: Container) -> FastAPI:
    """`create_app(container)`, built once per test process and pointed at `container`."""
    if container.settings.bench_endpoints:
        return create_app(container)
    if not _shared:
        built = create_app(container)
        assert _state_names(built) == {"container"}, (
            f"create_app sets app.state {sorted(_state_names(built))}: say in app_for "
            "(tests/support/web_fixtures.py) which come from the container"
        )
        _shared.append(built)
        _shared_routes.append(len(built.router.routes))
    app = _shared[0]
    # A new app's state: what requests kept there (the capture rate limiters) starts again.
    app.state = State({"container": container})
    for middleware in app.user_middleware:
        middleware.kwargs.update(_container_arguments(middleware.cls, container))
    app.middleware_stack = None  # rebuilt, with these arguments, on the next request
    return app


def forget_changed_app(app: FastAPI) -> None:
    """A test that added routes or overrides to the shared app: the next test gets a new one."""
    changed = bool(_shared) and (
        len(app.router.routes) != _shared_routes[0] or bool(app.dependency_overrides)
    )
    if changed and app is _shared[0]:
        _shared.clear()
        _shared_routes.clear()


@pytest.fixture
def app(container: Container) -> Iterator[FastAPI]:
    built = app_for(container)
    yield built
    forget_changed_app(built)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def headers_for(container: Container) -> Callable[[str], dict[str, str]]:
    """Bearer headers for a new user of the given role."""
    cache: dict[str, dict[str, str]] = {}

    def make(role: str) -> dict[str, str]:
        if role not in cache:
            _, _, token = user_with_token(container, role)
            cache[role] = {"Authorization": f"Bearer {token}"}
        return cache[role]

    return make


@pytest.fixture
def admin(headers_for: Callable[[str], dict[str, str]]) -> dict[str, str]:
    return headers_for("admin")


@pytest.fixture
def live_server(container: Container) -> Iterator[str]:
    """The app on a free 127.0.0.1 port, served from a background thread."""
    try:
        with serving(app_for(container)) as url:
            yield url
    except ServerUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
