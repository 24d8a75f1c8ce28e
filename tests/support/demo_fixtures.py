"""The demo, loaded once per database for the tests that only read it.

Loading the demo writes thousands of records through the services (up to a
minute on PostgreSQL). The tests that only look at the result share one load:
a database of its own per test worker and database kind, loaded on first use
and dropped at the end. A test that writes must not use it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from leadflow import bootstrap as bootstrap_module
from leadflow.bootstrap import Container
from leadflow.config import Settings
from leadflow.db.migrate import upgrade
from leadflow.demo.dataset import load_demo
from leadflow.lib.clock import utcnow
from tests.support.database import no_flush_on_commit


@dataclass
class LoadedDemo:
    """A database holding the demo, and what loading it reported."""

    container: Container
    lines: list[str]
    now: datetime
    progress: list[tuple[int, int]] = field(default_factory=list)


def _load(url: str, var_dir: Path) -> LoadedDemo:
    upgrade(url)
    container = Container(
        Settings(
            database_url=url,
            var_dir=var_dir,
            secret_key="test-secret",
            huey_immediate=True,
            queue_name=f"leadflow-demo-{uuid.uuid4().hex[:8]}",
        )
    )
    progress: list[tuple[int, int]] = []
    now = utcnow()
    previous = bootstrap_module._current
    bootstrap_module.install(container)  # the demo's jobs run on this container
    try:
        lines = load_demo(container, lambda *step: progress.append(step), now=now)
    finally:
        bootstrap_module.install(previous)
    return LoadedDemo(container, lines, now, progress)


@pytest.fixture(scope="session")
def demo_loader(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], LoadedDemo]]:
    loaded: dict[str, LoadedDemo] = {}
    created: list[str] = []
    servers: list[str] = []

    def load(kind: str) -> LoadedDemo:
        if kind not in loaded:
            base = tmp_path_factory.mktemp(f"demo-{kind}")
            if kind == "sqlite":
                url = f"sqlite:///{base / 'demo.db'}"
            else:
                servers.append(str(request.getfixturevalue("postgres_server_url")))
                server = make_url(servers[-1])
                name = f"leadflow_demo_{uuid.uuid4().hex[:10]}"
                admin = create_engine(server, isolation_level="AUTOCOMMIT")
                with admin.connect() as connection:
                    connection.execute(text(f'CREATE DATABASE "{name}"'))
                    connection.execute(text(no_flush_on_commit(name)))
                admin.dispose()
                created.append(name)
                url = server.set(database=name).render_as_string(hide_password=False)
            loaded[kind] = _load(url, base / "var")
        return loaded[kind]

    yield load
    for demo in loaded.values():
        demo.container.close()
    if created:
        admin = create_engine(make_url(servers[0]), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for name in created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def demo(database_url: str, demo_loader: Callable[[str], LoadedDemo]) -> LoadedDemo:
    """The demo on this test's kind of database, loaded once per session (read only)."""
    return demo_loader("sqlite" if database_url.startswith("sqlite") else "postgresql")
