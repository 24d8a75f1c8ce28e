"""Two workers at once on one entity's duplicate check: two checks storing leave one set
of pairs; two first requests make one check row.

PostgreSQL only: on SQLite every writer takes the database's one write lock first.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from leadflow.bootstrap import Container
from leadflow.db.uow import UnitOfWork
from leadflow.duplicates import services as duplicates
from leadflow.duplicates.models import DuplicateCandidate, DuplicateCheck
from leadflow.lib.clock import utcnow

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def _found(first_id: int) -> list[DuplicateCandidate]:
    return [
        DuplicateCandidate(
            entity="contact",
            strategy_id=1,
            strategy_name="Email",
            first_id=first_id,
            second_id=first_id + 1,
            size=2,
            found_at=utcnow(),
        )
    ]


def _one_waits_for_the_other(
    container: Container,
    first: Callable[[UnitOfWork], object],
    second: Callable[[UnitOfWork], object],
) -> None:
    """`first` runs in a unit of work that stays open while `second` runs in another:
    `second` must wait for it (checked), and both then commit without an error."""
    first_done = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def run_first() -> None:
        try:
            with container.uow() as uow:
                first(uow)
                first_done.set()
                release.wait(10)
                uow.commit()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            first_done.set()

    def run_second() -> None:
        try:
            with container.uow() as uow:
                second(uow)
                uow.commit()
        except BaseException as exc:
            errors.append(exc)

    one = threading.Thread(target=run_first)
    one.start()
    assert first_done.wait(10)
    two = threading.Thread(target=run_second)
    two.start()
    time.sleep(0.3)  # the second is now waiting for the first's row
    assert two.is_alive()
    release.set()
    one.join(10)
    two.join(10)
    assert errors == []


def test_the_later_store_replaces_the_earlier_ones_pairs(container: Container) -> None:
    with container.uow() as uow:
        started_at = duplicates.start_check("contact", uow=uow)
        uow.commit()

    def store(first_id: int) -> Callable[[UnitOfWork], object]:
        return lambda uow: duplicates.store_check(
            "contact", _found(first_id), started_at=started_at, seconds=0.1, uow=uow
        )

    _one_waits_for_the_other(container, store(1), store(10))

    with container.read_session() as session:
        stored = session.execute(
            select(DuplicateCandidate.first_id, func.count()).group_by(DuplicateCandidate.first_id)
        ).all()
    assert stored == [(10, 1)]


def test_two_first_requests_for_an_entity_make_one_check_row(container: Container) -> None:
    # No check row yet: the first change of contacts in two processes at once.
    queued: list[list[str]] = []

    def request(uow: UnitOfWork) -> object:
        queued.append(duplicates.request_checks(["contact"], uow=uow))
        return None

    _one_waits_for_the_other(container, request, request)

    # One of them queued the check; the other found it already waiting.
    assert sorted(queued) == [[], ["contact"]]
    with container.read_session() as session:
        assert session.scalar(select(func.count()).select_from(DuplicateCheck)) == 1
