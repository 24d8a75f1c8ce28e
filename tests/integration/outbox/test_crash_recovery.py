"""A process that dies between its commit and its handlers loses no event."""

import subprocess
import sys
import textwrap
from pathlib import Path

from sqlalchemy import select

from leadflow.bootstrap import Container
from leadflow.contacts.events import ContactCreated
from leadflow.outbox import INLINE_LEASE, OutboxMessage

CRASHING_WRITER = textwrap.dedent(
    """
    import os, sys
    from leadflow.bootstrap import Container
    from leadflow.config import Settings
    from leadflow.contacts.services import create_contact

    container = Container(Settings(database_url=sys.argv[1], var_dir=sys.argv[2],
                                   secret_key="t", huey_immediate=True))
    # The process is killed right after the commit, before any handler runs.
    container._dispatch_inline = lambda ids, events: os._exit(17)
    with container.uow() as uow:
        contact = create_contact({"email": "crash@example.com"}, uow=uow)
        print(contact.id, flush=True)
        uow.commit()
    os._exit(0)
    """
)


def test_events_committed_before_a_crash_are_handled_on_restart(
    container: Container, database_url: str, tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", CRASHING_WRITER, database_url, str(tmp_path / "var")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 17, result.stderr
    contact_id = int(result.stdout.strip())
    seen: list[ContactCreated] = []
    container.bus.subscribe(ContactCreated, seen.append, name="test.after-restart")
    # The dead writer had claimed its event in the commit; no relay takes it
    # while that short lease runs, then one does.
    assert container.relay.dispatch() == 0
    with container.uow() as uow:
        [row] = uow.session.scalars(select(OutboxMessage)).all()
        assert row.claimed_until is not None
        row.claimed_until = row.claimed_until - INLINE_LEASE
        uow.commit()

    handled = container.relay.dispatch()

    assert handled == 1
    assert seen == [ContactCreated(contact_id)]
    assert container.relay.dispatch() == 0
    assert seen == [ContactCreated(contact_id)]
    with container.read_session() as session:
        [row] = session.scalars(select(OutboxMessage)).all()
    assert row.dispatched_at is not None


def test_a_failing_handler_leaves_the_event_for_a_retry(container: Container) -> None:
    from leadflow.contacts.services import create_contact

    attempts: list[int] = []

    def flaky(event: ContactCreated) -> None:
        attempts.append(event.contact_id)
        if len(attempts) == 1:
            raise RuntimeError("downstream unavailable")

    container.bus.subscribe(ContactCreated, flaky, name="test.flaky")
    with container.uow() as uow:
        contact = create_contact({"email": "retry@example.com"}, uow=uow)
        uow.commit()
    with container.read_session() as session:
        [row] = session.scalars(select(OutboxMessage)).all()
    assert row.dispatched_at is None
    assert row.last_error is not None and "test.flaky" in row.last_error

    with container.session_factory() as session, session.begin():
        session.get_one(OutboxMessage, row.id).claimed_until = None
    assert container.relay.dispatch() == 1
    assert attempts == [contact.id, contact.id]


def test_handled_events_are_purged_after_their_retention(container: Container) -> None:
    from datetime import timedelta

    from leadflow.contacts.services import create_contact

    with container.uow() as uow:
        create_contact({"email": "old@example.com"}, uow=uow)
        uow.commit()
    assert container.relay.purge_dispatched(older_than=timedelta(days=1)) == 0
    assert container.relay.purge_dispatched(older_than=timedelta(seconds=-1)) == 1
    with container.read_session() as session:
        assert session.scalars(select(OutboxMessage)).all() == []
