"""Group commit: concurrent units share one SQLite transaction, each in its own savepoint."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from leadflow.bootstrap import Container
from leadflow.contacts.events import ContactCreated
from leadflow.contacts.models import Contact
from leadflow.db.group_commit import (
    GroupCommitFailed,
    GroupWriter,
    committing_alone,
    group_writer_for,
)
from leadflow.outbox import OutboxMessage
from tests.conftest import empty_tables, make_settings

THREADS = 12


def _add_contact(container: Container, email: str, *, fail: bool = False) -> None:
    with container.uow() as uow:
        contact = Contact(email=email)
        uow.session.add(contact)
        uow.session.flush()  # read-your-writes: the id comes back inside the group
        uow.publish(ContactCreated(contact_id=contact.id))
        if fail:
            raise RuntimeError(f"{email} fails")
        uow.commit()


def _emails(container: Container) -> set[str]:
    with container.read_session() as session:
        return set(session.scalars(select(Contact.email)))


def _outbox_ids(container: Container) -> set[int]:
    with container.read_session() as session:
        return set(session.scalars(select(OutboxMessage.id)))


def _reported(container: Container, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The outbox ids each commit hands to the relay (its wake-up), collected."""
    reported: list[int] = []
    lock = threading.Lock()
    wake = container._committed

    def committed(ids: list[int], subjects: set[str]) -> None:
        with lock:
            reported.extend(ids)
        wake(ids, subjects)

    monkeypatch.setattr(container, "_committed", committed)
    return reported


def _run_all(targets: list[Callable[[], None]]) -> list[BaseException | None]:
    outcomes: list[BaseException | None] = [None] * len(targets)
    start = threading.Barrier(len(targets))

    def run(index: int) -> None:
        start.wait()
        try:
            targets[index]()
        except BaseException as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(targets))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_concurrent_units_all_commit_and_report_their_outbox_rows(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    reported = _reported(container, monkeypatch)
    emails = [f"writer{index}@example.com" for index in range(THREADS)]
    outcomes = _run_all([lambda email=email: _add_contact(container, email) for email in emails])

    assert outcomes == [None] * THREADS
    assert _emails(container) == set(emails)
    stored = _outbox_ids(container)
    assert len(stored) == THREADS
    assert sorted(reported) == sorted(stored)


def test_a_failing_unit_among_concurrent_ones_fails_alone(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    reported = _reported(container, monkeypatch)
    emails = [f"unit{index}@example.com" for index in range(THREADS)]
    failing = emails[THREADS // 2]
    outcomes = _run_all(
        [
            lambda email=email: _add_contact(container, email, fail=email == failing)
            for email in emails
        ]
    )

    errors = [str(outcome) for outcome in outcomes if outcome is not None]
    assert errors == [f"{failing} fails"]
    assert _emails(container) == set(emails) - {failing}
    stored = _outbox_ids(container)
    assert len(stored) == THREADS - 1
    assert sorted(reported) == sorted(stored)


# --- SQLite's group: what shares one COMMIT --------------------------------------------


@pytest.fixture
def sqlite_container(sqlite_database: str, tmp_path: Path) -> Iterator[Container]:
    built = Container(make_settings(sqlite_database, tmp_path / "var"))
    empty_tables(built)
    yield built
    empty_tables(built)
    built.close()


def _writer(container: Container) -> GroupWriter:
    writer = group_writer_for(container.engine)
    assert writer is not None
    return writer


@pytest.fixture
def commits(sqlite_container: Container) -> Iterator[list[float]]:
    """When each COMMIT on the container's engine happened during the test (the engine
    outlives the test: tests/support/engines.py)."""
    times: list[float] = []

    def note(_connection: Any) -> None:
        times.append(time.monotonic())

    event.listen(sqlite_container.engine, "commit", note)
    yield times
    event.remove(sqlite_container.engine, "commit", note)


def _wait_for_waiters(writer: GroupWriter, count: int) -> None:
    deadline = time.monotonic() + 10
    while writer.waiting < count:
        assert time.monotonic() < deadline, f"{writer.waiting} units wait, not {count}"
        time.sleep(0.005)


def _queued_behind_a_holder(
    container: Container, units: list[Callable[[], None]], holder_email: str
) -> tuple[list[BaseException | None], float]:
    """The holder takes the turn first; `units` queue behind it, then it commits.

    Returns each unit's outcome (the holder's first) and when the holder's commit
    returned.
    """
    writer = _writer(container)
    # The group stays open however long the threads take to queue: on a loaded machine
    # that can outlast GROUP_MAX_SECONDS, which would close it early and commit twice.
    writer._max_seconds, max_seconds = 60.0, writer._max_seconds
    holding = threading.Event()
    returned: list[float] = []

    def holder() -> None:
        with container.uow() as uow:
            contact = Contact(email=holder_email)
            uow.session.add(contact)
            uow.session.flush()
            holding.set()
            _wait_for_waiters(writer, len(units))
            uow.commit()
            returned.append(time.monotonic())

    outcomes: list[BaseException | None] = [None] * (len(units) + 1)

    def run(index: int, target: Callable[[], None]) -> None:
        if index:
            holding.wait(10)
        try:
            target()
        except BaseException as exc:
            outcomes[index] = exc

    threads = [
        threading.Thread(target=run, args=(index, target))
        for index, target in enumerate([holder, *units])
    ]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join(timeout=60)
    finally:
        writer._max_seconds = max_seconds
    return outcomes, returned[0] if returned else 0.0


def test_units_queued_behind_each_other_share_one_commit(
    sqlite_container: Container, commits: list[float]
) -> None:
    emails = [f"grouped{index}@example.com" for index in range(4)]
    outcomes, holder_returned = _queued_behind_a_holder(
        sqlite_container,
        [lambda email=email: _add_contact(sqlite_container, email) for email in emails],
        "holder@example.com",
    )

    assert outcomes == [None] * 5
    assert _emails(sqlite_container) == {"holder@example.com", *emails}
    assert len(commits) == 1
    # Durable on return: the holder committed first, yet returned only after the COMMIT.
    assert holder_returned >= commits[0]


def test_a_failing_unit_rolls_back_to_its_savepoint_and_the_group_commits(
    sqlite_container: Container, commits: list[float]
) -> None:
    outcomes, _ = _queued_behind_a_holder(
        sqlite_container,
        [
            lambda: _add_contact(sqlite_container, "before@example.com"),
            lambda: _add_contact(sqlite_container, "failing@example.com", fail=True),
            lambda: _add_contact(sqlite_container, "after@example.com"),
        ],
        "holder@example.com",
    )

    failures = [str(outcome) for outcome in outcomes if outcome is not None]
    assert failures == ["failing@example.com fails"]
    assert _emails(sqlite_container) == {
        "holder@example.com",
        "before@example.com",
        "after@example.com",
    }
    # Its outbox row went with its savepoint; the others' are there.
    assert len(_outbox_ids(sqlite_container)) == 2
    assert len(commits) == 1


def test_when_the_group_commit_fails_every_unit_in_it_is_told(
    sqlite_container: Container,
) -> None:
    callbacks: list[str] = []

    def fail_once(_connection: Any) -> None:
        event.remove(sqlite_container.engine, "commit", fail_once)
        raise RuntimeError("disk gone")

    def add_with_callback(email: str) -> None:
        with sqlite_container.uow() as uow:
            uow.session.add(Contact(email=email))
            uow.after_commit(lambda: callbacks.append(email))
            uow.commit()

    event.listen(sqlite_container.engine, "commit", fail_once)
    outcomes, _ = _queued_behind_a_holder(
        sqlite_container,
        [lambda: add_with_callback("a@example.com"), lambda: add_with_callback("b@example.com")],
        "holder@example.com",
    )

    assert [type(outcome) for outcome in outcomes] == [GroupCommitFailed] * 3
    assert callbacks == []
    assert _emails(sqlite_container) == set()
    # The writer recovers: the next unit commits on a fresh transaction.
    add_with_callback("later@example.com")
    assert _emails(sqlite_container) == {"later@example.com"}
    assert callbacks == ["later@example.com"]


def test_a_session_that_only_reads_gives_its_turn_back_without_committing(
    sqlite_container: Container,
) -> None:
    writer = _writer(sqlite_container)
    with sqlite_container.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Contact)) == 0
    # The turn is free: another unit takes it at once.
    started = time.monotonic()
    _add_contact(sqlite_container, "next@example.com")
    assert time.monotonic() - started < 5
    assert writer.waiting == 0


def test_a_unit_started_alone_does_not_hold_back_the_group_before_it(
    sqlite_container: Container, commits: list[float]
) -> None:
    committed: list[float] = []

    def handler_batch() -> None:
        with committing_alone():
            _add_contact(sqlite_container, "alone@example.com")
        committed.append(time.monotonic())

    outcomes, holder_returned = _queued_behind_a_holder(
        sqlite_container, [handler_batch], "holder@example.com"
    )

    assert outcomes == [None, None]
    assert _emails(sqlite_container) == {"holder@example.com", "alone@example.com"}
    # The holder's group committed before the lone unit ran, then the lone unit's own.
    assert len(commits) == 2
    assert commits[0] <= holder_returned and commits[0] < committed[0]
