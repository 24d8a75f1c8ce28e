"""An API client with an admin token, for checking that loaded data lists right."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from leadflow.bootstrap import Container
from leadflow.web.app import create_app
from tests.support.factories import user_with_token


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container)) as test_client:
        yield test_client


@pytest.fixture
def admin(container: Container) -> dict[str, str]:
    _, _, token = user_with_token(container, "admin")
    return {"Authorization": f"Bearer {token}"}
