"""Web fixtures for every test folder: the app built by the real bootstrap, callers of each role."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from leadflow.bootstrap import Container
from leadflow.web.app import create_app
from tests.support.factories import user_with_token

START_TIMEOUT = 15.0


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
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(
        create_app(container), log_level="warning", lifespan="off", ws="none", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            pytest.fail("uvicorn did not start", pytrace=False)
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
