"""PostgreSQL: the relay's claim reads the pending rows by index scans, which step
cheaply over the handled rows a vacuum has not yet removed (`INDEX_SCANS_ONLY`)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, insert, update
from sqlalchemy.engine import Connection

from leadflow.bootstrap import Container
from leadflow.lib.clock import utcnow
from leadflow.outbox import OutboxMessage
from leadflow.outbox._statements import INDEX_SCANS_ONLY, candidates_statement

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

HANDLED = 3000


def _handled_rows(container: Container) -> None:
    """Rows written and then marked handled, as the relay does: their old versions stay
    in the pending indexes (dispatched_at IS NULL) until a vacuum."""
    now = utcnow()
    with container.engine.begin() as connection:
        connection.execute(
            insert(OutboxMessage),
            [
                {
                    "event_type": "test.nothing",
                    "payload": {},
                    "created_at": now,
                    "attempts": 0,
                    "subject": f"lead:{number % 50}",
                }
                for number in range(HANDLED)
            ],
        )
        connection.execute(update(OutboxMessage).values(dispatched_at=now))


def _plan(connection: Connection) -> str:
    statement = candidates_statement("postgresql", given=False).compile(dialect=connection.dialect)
    params = statement.construct_params({"now": utcnow(), "limit": 500})
    rows = connection.exec_driver_sql(f"EXPLAIN {statement}", params).all()
    return "\n".join(row[0] for row in rows)


def test_the_claim_turns_bitmap_scans_off_in_its_own_transaction(container: Container) -> None:
    _handled_rows(container)
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split())[:40])

    event.listen(container.engine, "before_cursor_execute", note)
    try:
        assert container.relay.dispatch() == 0
    finally:
        event.remove(container.engine, "before_cursor_execute", note)

    setting = str(INDEX_SCANS_ONLY)
    assert seen[:2] == [setting[:40], "SELECT outbox.id, outbox.subject IS NULL"]
    with container.engine.connect() as connection:
        # SET LOCAL: the connection the claim used is back to the default.
        assert connection.exec_driver_sql("SHOW enable_bitmapscan").scalar() == "on"


def test_with_it_the_pending_rows_are_read_by_an_index_scan(container: Container) -> None:
    _handled_rows(container)
    with container.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE outbox")
        # Without the setting the planner may take a bitmap scan: it cannot use a
        # bitmap scan with it.
        connection.exec_driver_sql("SET LOCAL enable_indexscan = off")
        assert "Bitmap" in _plan(connection)
    with container.engine.begin() as connection:
        connection.execute(INDEX_SCANS_ONLY)
        plan = _plan(connection)
    assert "Index Scan using ix_outbox_pending on outbox" in plan, plan
    assert "Bitmap" not in plan, plan
