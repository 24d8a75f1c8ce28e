"""Two workers at once on one entity's duplicate check: two checks storing leave one set
of pairs; two first requests make one check row.

PostgreSQL only: on SQLite every writer takes the database's one write lock first.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from leadflow.bootstrap import Container
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


def test_the_later_store_replaces_the_earlier_ones_pairs(container: Container) -> None:
    with container.uow() as uow:
        started_at = duplicates.start_check("contact", uow=uow)
        uow.commit()
    first_stored = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def earlier() -> None:
        try:
            with container.uow() as uow:
                duplicates.store_check(
                    "contact", _found(1), started_at=started_at, seconds=0.1, uow=uow
                )
                first_stored.set()
                release.wait(10)
                uow.commit()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            first_stored.set()

    def later() -> None:
        try:
            with container.uow() as uow:
                duplicates.store_check(
                    "contact", _found(10), started_at=started_at, seconds=0.1, uow=uow
                )
                uow.commit()
        except BaseException as exc:
            errors.append(exc)

    one = threading.Thread(target=earlier)
    one.start()
    assert first_stored.wait(10)
    two = threading.Thread(target=later)
    two.start()
    time.sleep(0.3)  # the later store is now waiting for the earlier one's turn
    assert two.is_alive()
    release.set()
    one.join(10)
    two.join(10)

    assert errors == []
    with container.read_session() as session:
        stored = session.execute(
            select(DuplicateCandidate.first_id, func.count()).group_by(DuplicateCandidate.first_id)
        ).all()
    assert stored == [(10, 1)]


def test_two_first_requests_for_an_entity_make_one_check_row(container: Container) -> None:
    # No check row yet: the first change of contacts in two processes at once.
    first_inserted = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []
    queued: list[list[str]] = []

    def first() -> None:
        try:
            with container.uow() as uow:
                queued.append(duplicates.request_checks(["contact"], uow=uow))
                first_inserted.set()
                release.wait(10)
                uow.commit()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            first_inserted.set()

    def second() -> None:
        try:
            with container.uow() as uow:
                queued.append(duplicates.request_checks(["contact"], uow=uow))
                uow.commit()
        except BaseException as exc:
            errors.append(exc)

    one = threading.Thread(target=first)
    one.start()
    assert first_inserted.wait(10)
    two = threading.Thread(target=second)
    two.start()
    time.sleep(0.3)  # the second insert waits on the first's uncommitted row
    assert two.is_alive()
    release.set()
    one.join(10)
    two.join(10)

    assert errors == []
    # One of them queued the check; the other found it already waiting.
    assert sorted(queued) == [[], ["contact"]]
    with container.read_session() as session:
        assert session.scalar(select(func.count()).select_from(DuplicateCheck)) == 1
