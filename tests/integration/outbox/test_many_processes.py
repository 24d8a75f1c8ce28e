"""Several relay processes on one PostgreSQL database: every event handled exactly
once, and a subject's events one after the other in the order they were written.

PostgreSQL only: SQLite takes the write lock for every claim, so several relays
on it never race and these tests could not fail there.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select, text

from leadflow.bootstrap import Container
from leadflow.outbox import OutboxMessage
from tests.support.processes import Handled, Probe, StartLine, relay_worker, worker_processes

pytestmark = [
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
    pytest.mark.slow,
]

RELAYS = 4
LEADS = 60
PER_LEAD = 5


def _publish_interleaved(container: Container) -> None:
    # Lead 0's probe 0, lead 1's probe 0, ... then every lead's probe 1: a lead's
    # probes are spread over the queue, in separate commits.
    for seq in range(PER_LEAD):
        with container.uow() as uow:
            uow.publish(*(Probe(lead, seq) for lead in range(LEADS)))
            uow.commit()


def _row_ids(container: Container) -> list[int]:
    with container.read_session() as session:
        return list(session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))


def test_relay_processes_handle_each_event_once_and_each_subject_in_order(
    container: Container, database_url: str, tmp_path: Path
) -> None:
    _publish_interleaved(container)
    written = _row_ids(container)
    assert len(written) == LEADS * PER_LEAD
    start = StartLine(str(tmp_path / "start"), RELAYS)
    processes = worker_processes()
    with processes.Pool(RELAYS) as pool:
        per_process = pool.starmap(
            relay_worker,
            [(database_url, str(tmp_path / f"var{n}"), 7, start, 120.0) for n in range(RELAYS)],
        )
    handled: list[Handled] = [each for part in per_process for each in part]

    counts = Counter(each.row_id for each in handled)
    assert sorted(counts) == written
    assert {row_id: n for row_id, n in counts.items() if n != 1} == {}
    assert container.relay.pending_count() == 0
    # The work was shared: more than one process handled events.
    assert len({each.pid for each in handled}) > 1
    by_lead: dict[int, list[Handled]] = defaultdict(list)
    for each in handled:
        by_lead[each.lead_id].append(each)
    for lead, items in by_lead.items():
        items.sort(key=lambda each: each.row_id)
        assert [each.seq for each in items] == list(range(PER_LEAD)), lead
        for before, after in itertools.pairwise(items):
            # A later probe is handled only once the earlier one's batch has ended.
            assert after.started >= before.ended, (lead, before, after)


@contextmanager
def _oldest_rows_locked(container: Container, count: int) -> Iterator[None]:
    """Another relay in the middle of claiming the oldest rows: it holds their row
    locks until the block ends."""
    release = threading.Event()
    locked = threading.Event()

    def hold() -> None:
        with container.engine.connect() as connection, connection.begin():
            connection.execute(
                text("SELECT id FROM outbox ORDER BY id LIMIT :n FOR UPDATE"), {"n": count}
            ).all()
            locked.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        yield
    finally:
        release.set()
        holder.join(10)


def test_a_relay_skips_the_rows_another_relay_is_claiming_instead_of_waiting(
    container: Container,
) -> None:
    with container.uow() as uow:
        uow.publish(*(Probe(lead, 0) for lead in range(10)))
        uow.commit()
    oldest = _row_ids(container)
    handled: list[int] = []
    container.bus.subscribe_batch(
        [Probe], lambda deliveries: handled.extend(each.id for each in deliveries), name="t.p"
    )
    done = threading.Event()

    def relay_one_batch() -> None:
        container.relay.dispatch(limit=5)
        done.set()

    with _oldest_rows_locked(container, 5):
        worker = threading.Thread(target=relay_one_batch)
        worker.start()
        finished_while_locked = done.wait(5)
    worker.join(30)

    assert finished_while_locked, "the relay waited on rows another relay was claiming"
    assert handled == oldest[5:]
    # Once the other relay lets go, the five oldest are handled too.
    container.relay.drain()
    assert sorted(handled) == oldest
