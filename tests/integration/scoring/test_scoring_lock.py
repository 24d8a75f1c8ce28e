"""On PostgreSQL a rescore (a relay's batch, a full rescore's range) takes an advisory
lock in its write transaction (`engine.take_scoring_lock`): two relays counting
batches that touch one lead in READ COMMITTED could otherwise write the earlier count
last. SQLite's rescores take turns on a file lock instead (test_count_then_write.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, func, select

from leadflow.bootstrap import Container
from leadflow.scoring.engine import SCORING_LOCK_KEY
from tests.integration.scoring.helpers import (
    CLICKS,
    a_new_models_rescore_waits,
    click,
    live_model,
    make_contact,
    make_lead,
    score_of,
)

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def another_process(container: Container) -> Iterator[Connection]:
    """A connection of its own, as another process: `_take` and `_release` the lock."""
    with container.engine.connect() as connection:
        yield connection
        connection.execute(select(func.pg_advisory_unlock_all()))


def _take(connection: Connection) -> None:
    connection.execute(select(func.pg_advisory_lock(SCORING_LOCK_KEY)))


def _release(connection: Connection) -> None:
    connection.execute(select(func.pg_advisory_unlock(SCORING_LOCK_KEY)))


def test_a_batch_waits_while_another_process_rescores(
    container: Container, another_process: Connection
) -> None:
    contact = make_contact(container)
    lead = make_lead(container, parent_contact_id=contact)
    model = live_model(container, rules=[CLICKS])
    _take(another_process)
    click(container, contact)
    handled = threading.Event()

    def relay() -> None:
        container.relay.drain()
        handled.set()

    relaying = threading.Thread(target=relay)
    relaying.start()
    try:
        assert not handled.wait(0.5)
        assert score_of(container, lead, model) == 0
    finally:
        _release(another_process)
    relaying.join(timeout=10)
    assert handled.is_set()
    assert score_of(container, lead, model) == 10


def test_a_full_rescore_range_waits_while_another_process_rescores(
    container: Container, another_process: Connection
) -> None:
    a_new_models_rescore_waits(
        container, hold=lambda: _take(another_process), release=lambda: _release(another_process)
    )
