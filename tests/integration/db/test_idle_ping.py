"""A pooled PostgreSQL connection the server dropped while it sat idle is replaced
before use (db/engine.py pings connections idle for IDLE_PING_SECONDS, not every
checkout)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import OperationalError

from leadflow.db import engine as engine_module
from leadflow.db.engine import create_db_engine, create_read_session_factory


def _kill_pooled_connection(engine: Engine) -> None:
    """Use one connection, return it to the pool, then have the server end it."""
    with engine.connect() as connection:
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    killer = create_db_engine(str(engine.url.render_as_string(hide_password=False)))
    try:
        with killer.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        killer.dispose()


@pytest.fixture
def engine(postgres_database: str) -> Engine:
    # Fresh: its pool holds one connection, used once, then the one the server ends.
    return create_db_engine(postgres_database)


def test_a_connection_dropped_while_idle_is_replaced(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 0.0)
    _kill_pooled_connection(engine)

    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar_one() == 1
    engine.dispose()


def test_a_connection_used_a_moment_ago_is_not_pinged(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same dropped connection, handed out unpinged because it is not idle long:
    # what the ping above saves it from.
    monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 3600.0)
    _kill_pooled_connection(engine)

    with pytest.raises(OperationalError), engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    engine.dispose()


def test_a_pinged_connection_is_handed_out_outside_a_transaction(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    pinged: list[str] = []

    def note(*_args: Any) -> None:
        pinged.append("checked out")

    monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 0.0)
    event.listen(engine, "checkout", note)  # after the ping, which is listened first
    # A read session sets its connection read-only, which psycopg refuses inside a
    # transaction: the ping's SELECT must not leave one open.
    with create_read_session_factory(engine)() as session:
        raw: Any = session.connection().connection.dbapi_connection
        assert session.execute(text("SELECT 2")).scalar_one() == 2
        assert raw.read_only is True
    assert pinged == ["checked out"]
    engine.dispose()
