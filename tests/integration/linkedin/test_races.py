"""The same response ingested at once by two writers (a webhook and the pull) lands once."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from leadflow.bootstrap import Container
from leadflow.contacts.models import Contact
from leadflow.leads.models import Lead
from leadflow.linkedin import services
from leadflow.linkedin.models import LinkedInResponse
from tests.support.fake_linkedin import FakeLinkedIn, response
from tests.support.linkedin import NOW_MS, connect, connection


def _count(container: Container, model: type) -> int:  # type: ignore[type-arg]
    with container.read_session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_two_writers_of_the_same_responses_store_each_once(
    container: Container, fake: FakeLinkedIn
) -> None:
    connection_id = connect(container, fake)
    elements = [
        response(f"r{index}", 1, NOW_MS - index * 1000, {13: f"p{index}@example.com"})
        for index in range(20)
    ]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def ingest(via: str) -> None:
        try:
            start.wait(10)
            with container.uow() as uow:
                services.ingest_responses(connection_id, elements, via=via, uow=uow)
                uow.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    writers = [threading.Thread(target=ingest, args=(via,)) for via in ("webhook", "sync")]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(60)

    assert errors == []
    assert (_count(container, LinkedInResponse), _count(container, Lead)) == (20, 20)
    assert _count(container, Contact) == 20
    counts = connection(container, connection_id)["counts"]
    assert (counts["created"], counts["skipped"]) == (20, 20)
