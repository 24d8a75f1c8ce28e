"""Fixtures: every database test runs on SQLite and on PostgreSQL.

Each pytest-xdist worker gets its own SQLite file and its own PostgreSQL
database, migrated once. A `container` test starts from the seeded defaults: seeded
once per database through the services, then copied back before each test after
deleting the rows of the tables that hold any (tests/support/database.py), which is
what emptying every table and seeding again gives, in milliseconds.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from argon2 import profiles as argon2_profiles
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from leadflow import bootstrap as bootstrap_module
from leadflow.bootstrap import Container
from leadflow.config import Settings
from leadflow.db.migrate import upgrade
from leadflow.outbox import OutboxMessage
from leadflow.users import services as users_services
from tests.support import database, engines
from tests.support.servers import ServerUnavailable, postgres_url, redis_url

DATABASES = ("sqlite", "postgresql")

# Property tests: in CI and by default a fixed seed (a run that fails fails again,
# and a bug is caught on every run or on none) and 20 drawn examples besides the
# pinned `@example`s; `make property` sets LEADFLOW_HYPOTHESIS_PROFILE=thorough for
# many more, drawn at random.
# Timing checks judge the machine, not the code: on a loaded 2-core runner one draw can stall
# for over a second, so the deadline and the slow-generation check are off in both profiles.
_UNTIMED = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
hypothesis_settings.register_profile(
    "ci", max_examples=20, derandomize=True, print_blob=True, **_UNTIMED
)
hypothesis_settings.register_profile("thorough", max_examples=400, print_blob=True, **_UNTIMED)
hypothesis_settings.load_profile(os.environ.get("LEADFLOW_HYPOTHESIS_PROFILE", "ci"))

# Password hashing at argon2's cheapest cost in the test process: the default cost takes
# 0.1-0.9 s per hash or check (64 MiB, 3 passes), and the suite creates and signs in
# thousands of users. The algorithm and the code paths are the production ones; a hash
# records its own parameters, so hashes made by subprocesses (the CLI, `leadflow serve`)
# at the default cost still verify here.
users_services._hasher = PasswordHasher.from_parameters(argon2_profiles.CHEAPEST)

engines.install()

pytest_plugins = [
    "tests.support.web_fixtures",
    "tests.support.cli_fixtures",
    "tests.support.demo_fixtures",
]


def _worker_id() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    try:
        return postgres_url()
    except ServerUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def redis_server_url() -> str:
    try:
        return redis_url()
    except ServerUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def postgres_database(postgres_server_url: str) -> Iterator[str]:
    """A fresh, migrated database for this test worker, dropped at the end."""
    base = make_url(postgres_server_url)
    name = f"leadflow_test_{_worker_id()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
        connection.execute(text(database.no_flush_on_commit(name)))
    url = base.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    engines.keep_engines_of(url)
    yield url
    engines.close_kept(url)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("sqlite") / f"leadflow_{_worker_id()}.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engines.keep_engines_of(url)
    return url


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest) -> str:
    fixture = "sqlite_database" if request.param == "sqlite" else "postgres_database"
    return str(request.getfixturevalue(fixture))


def empty_tables(container: Container) -> None:
    """Delete every row; on PostgreSQL sequences start again (tests/support/database.py)."""
    database.empty(container.engine)


# The seeded defaults of each test database, seeded once through the services and copied
# back before each test (tests/support/database.py).
_seeded: dict[str, database.Snapshot] = {}


def seeded_state(container: Container) -> None:
    """Give the container's database exactly the rows an emptied, freshly seeded database
    has (the defaults' events handled, the outbox empty)."""
    url = container.settings.effective_database_url
    snapshot = _seeded.get(url)
    if snapshot is not None:
        database.restore(container.engine, snapshot)
        return
    empty_tables(container)
    container.seed_defaults()
    # The defaults' own events are handled; tests that read the outbox start from it empty.
    container.relay.drain()
    with container.engine.begin() as connection:
        connection.execute(OutboxMessage.__table__.delete())
    _seeded[url] = database.take_snapshot(container.engine)


def make_settings(database_url: str, var_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "var_dir": var_dir,
        "secret_key": "test-secret",
        "huey_immediate": True,
        "queue_name": f"leadflow-test-{uuid.uuid4().hex[:8]}",
        # Emails go nowhere unless a test starts its own SMTP server (port 9: nothing
        # listens, so delivery fails at once and messages stay queued).
        "smtp_port": 9,
        # No duplicate check after each batch (a fifth of the time of tests that create
        # records); the duplicates tests ask for them: @pytest.mark.settings(...=0).
        "duplicate_check_pause_seconds": -1,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture
def make_container(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Container]]:
    built: list[Container] = []

    def build(**overrides: Any) -> Container:
        container = Container(make_settings(database_url, tmp_path / "var", **overrides))
        built.append(container)
        return container

    yield build
    for container in built:
        container.close()


@pytest.fixture
def container(
    make_container: Callable[..., Container], request: pytest.FixtureRequest
) -> Iterator[Container]:
    """The wired application on an empty database (SQLite or PostgreSQL), with the
    settings a `@pytest.mark.settings(...)` of the test asks for."""
    marker = request.node.get_closest_marker("settings")
    built = make_container(**(marker.kwargs if marker else {}))
    seeded_state(built)
    bootstrap_module.install(built)
    yield built
    bootstrap_module.install(None)
    # Not emptied here: the next test's container puts the seeded rows back, emptying
    # first (on PostgreSQL an emptying costs 20-25 ms, a thousand times a run).


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first: pytest-xdist hands out tests in this order, so the long
    ones start early on both workers instead of leaving one worker to finish alone."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how many tests ran on each database, so a run shows both were exercised."""
    counts: dict[str, dict[str, int]] = {name: {} for name in DATABASES}
    for outcome in ("passed", "failed", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            if getattr(report, "when", "call") != "call" and outcome != "error":
                continue
            for name in DATABASES:
                if f"[{name}" in nodeid or f"-{name}]" in nodeid or f"-{name}-" in nodeid:
                    counts[name][outcome] = counts[name].get(outcome, 0) + 1
    terminalreporter.section("tests per database")
    for name, by_outcome in counts.items():
        summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(by_outcome.items()))
        terminalreporter.write_line(f"{name}: {summary or 'none'}")
