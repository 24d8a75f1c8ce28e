"""Two duplicate checks of one entity storing at once (two workers) leave one set of pairs.

PostgreSQL only: on SQLite every writer takes the database's one write lock first.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from leadflow.bootstrap import Container
from leadflow.duplicates import services as duplicates
from leadflow.duplicates.models import DuplicateCandidate
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
