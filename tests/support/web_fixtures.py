"""Web fixtures for every test folder: the app built by the real bootstrap, callers of each role."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from leadflow.bootstrap import Container
from leadflow.web.app import create_app
from tests.support.factories import user_with_token
from tests.support.servers import ServerUnavailable, serving


@pytest.fixture
def app(container: Container) -> FastAPI:
    return create_app(container)


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
        with serving(create_app(container)) as url:
            yield url
    except ServerUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
