"""A relay in another process hears this process's commits at once (db/wake.py):
`leadflow serve --with-worker` answers requests in one process and handles their
events in its worker process."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from leadflow.bootstrap import Container
from leadflow.contacts.events import ContactCreated

# Far longer than the test waits: an event handled sooner was woken, not polled for.
POLL_SECONDS = 60.0


def _handled_within(
    serving: Container, relaying: Container, seconds: float, contact_id: int
) -> float | None:
    """Commit one event in `serving` (no relay of its own); seconds until `relaying`'s
    relay thread handled it, or None."""
    handled = threading.Event()
    relaying.bus.subscribe(
        ContactCreated,
        lambda e: handled.set() if e.contact_id == contact_id else None,
        name=f"test.wake.{contact_id}",
    )
    started = time.monotonic()
    with serving.uow() as uow:
        uow.publish(ContactCreated(contact_id))
        uow.commit()
    return time.monotonic() - started if handled.wait(seconds) else None


def test_a_commit_wakes_the_relay_of_another_container_within_milliseconds(
    container: Container, make_container: Callable[..., Container]
) -> None:
    relaying = make_container(relay_poll_seconds=POLL_SECONDS)
    relaying.start_relay()
    assert relaying.wake.listening
    assert not container.relay.running

    took = _handled_within(container, relaying, 5.0, contact_id=1)

    assert took is not None and took < 5.0
    deadline = time.monotonic() + 5.0  # handled, then marked so just after
    while container.relay.pending_count() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert container.relay.pending_count() == 0


def test_without_the_ping_the_other_relay_waits_for_its_poll(
    container: Container, make_container: Callable[..., Container]
) -> None:
    relaying = make_container(relay_poll_seconds=POLL_SECONDS)
    relaying.start_relay()
    # The channel is the only way across: with it closed the event waits for the poll.
    relaying.wake.close()

    assert _handled_within(container, relaying, 1.5, contact_id=2) is None
    assert container.relay.pending_count() == 1


def test_only_one_process_per_database_listens(
    container: Container, make_container: Callable[..., Container]
) -> None:
    first, second = make_container(), make_container()
    first.start_relay()
    second.start_relay()
    assert first.wake.listening and not second.wake.listening
    first.close()
    # Once the listener is gone another may take its place.
    assert second.wake.listen(second.relay.notify)
