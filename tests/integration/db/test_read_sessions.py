"""Read sessions on PostgreSQL are read-only and end with COMMIT, so psycopg keeps the
statements it prepared on their connection (a ROLLBACK makes it deallocate them all)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import InternalError
from sqlalchemy.orm import Session, sessionmaker

from leadflow.bootstrap import Container
from leadflow.db.engine import create_db_engine, create_read_session_factory
from tests.integration.scoring.helpers import CLICKS, click, live_model, make_contact, make_lead

# psycopg prepares a statement on a connection at its fifth run (prepare_threshold).
RUNS_TO_PREPARE = 6
QUERY = text("SELECT count(*) FROM users WHERE id > :floor")


@pytest.fixture
def engine(postgres_database: str) -> Iterator[Engine]:
    engine = create_db_engine(postgres_database)
    yield engine
    engine.dispose()


def _prepared_after(session_factory: Callable[[], Session]) -> list[str]:
    """The statements prepared on a session's connection once the session has ended:
    QUERY run often enough to be prepared, then the session closed."""
    with session_factory() as session:
        for floor in range(RUNS_TO_PREPARE):
            session.execute(QUERY, {"floor": floor}).scalar_one()
        raw: Any = session.connection().connection.dbapi_connection
    # The connection is back in the pool, its transaction ended; ask it directly.
    rows = raw.execute("SELECT statement FROM pg_prepared_statements").fetchall()
    raw.rollback()
    return [row[0] for row in rows]


def test_a_read_session_keeps_the_statements_prepared_on_its_connection(
    engine: Engine,
) -> None:
    kept = _prepared_after(create_read_session_factory(engine))
    assert any("FROM users" in statement for statement in kept), kept


def test_a_session_ended_by_rollback_loses_them(engine: Engine) -> None:
    # The behaviour the read sessions avoid, shown on a plain session.
    lost = _prepared_after(sessionmaker(bind=engine))
    assert not any("FROM users" in statement for statement in lost), lost


def test_a_write_through_a_read_session_fails(engine: Engine) -> None:
    with create_read_session_factory(engine)() as session, pytest.raises(InternalError):
        session.execute(text("UPDATE users SET name = name"))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_relay_handles_interactions_that_change_nothing_without_a_rollback(
    container: Container,
) -> None:
    # Scoring writes the click's score; segments and journeys look and find nothing to
    # change, as for most batches of interactions.
    contact = make_contact(container)
    make_lead(container, parent_contact_id=contact)
    live_model(container, rules=[CLICKS])
    ended: list[str] = []

    def note(connection: Any) -> None:
        raw: Any = connection.connection.dbapi_connection
        if raw.pgconn.transaction_status != TransactionStatus.IDLE:
            ended.append("rollback")

    event.listen(container.engine, "rollback", note)
    try:
        click(container, contact)
        assert container.relay.drain() >= 1
        # Shown against a presence: a unit of work left without a commit rolls back.
        with container.uow() as uow:
            uow.session.execute(text("SELECT 1"))
    finally:
        event.remove(container.engine, "rollback", note)
    assert ended == ["rollback"]
