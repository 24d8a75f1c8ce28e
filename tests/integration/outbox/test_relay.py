"""The relay: batches breadth first, one failing event isolated, retries, parking,
cascades stopped, a subject's events in order, and several relays handling each
event once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from leadflow.bootstrap import Container
from leadflow.bus import Delivery, Event, event
from leadflow.contacts.events import ContactCreated, ContactUpdated
from leadflow.lib.clock import utcnow
from leadflow.outbox import MAX_ATTEMPTS, MAX_CASCADE, OutboxMessage, tracking_writes
from tests.support.outbox import expire_leases


@event
@dataclass(frozen=True)
class Echoed(Event):
    name = "test.echoed"
    lead_id: int
    hops: int


def _publish(container: Container, *events: Event) -> None:
    with container.uow() as uow:
        uow.publish(*events)
        uow.commit()


def test_a_batch_handler_gets_every_event_of_its_kinds_at_once(container: Container) -> None:
    batches: list[list[int]] = []

    def handler(deliveries: Sequence[Delivery]) -> None:
        batches.append([each.event.contact_id for each in deliveries])  # type: ignore[attr-defined]

    container.bus.subscribe_batch([ContactCreated, ContactUpdated], handler, name="test.batch")
    _publish(container, *(ContactCreated(n) for n in range(1, 51)), ContactUpdated(7))

    assert container.relay.drain() == 51
    assert batches == [[*range(1, 51), 7]]


def test_what_handlers_publish_waits_for_a_later_batch(container: Container) -> None:
    seen: list[tuple[int, int]] = []

    def echo(deliveries: Sequence[Delivery]) -> None:
        with container.uow() as uow:
            for each in deliveries:
                message = each.event
                assert isinstance(message, Echoed)
                seen.append((message.lead_id, message.hops))
                if message.hops < 2:
                    uow.publish(Echoed(message.lead_id, message.hops + 1))
            uow.commit()

    container.bus.subscribe_batch([Echoed], echo, name="test.echo")
    _publish(container, Echoed(1, 0), Echoed(2, 0))

    assert container.relay.dispatch() == 2
    # Breadth first: the first batch saw only the two written by the "request".
    assert seen == [(1, 0), (2, 0)]
    container.relay.drain()
    assert seen == [(1, 0), (2, 0), (1, 1), (2, 1), (1, 2), (2, 2)]


def test_one_failing_event_fails_alone_and_is_parked_after_its_tries(
    container: Container,
) -> None:
    handled: list[int] = []

    def picky(deliveries: Sequence[Delivery]) -> None:
        for each in deliveries:
            contact_id = each.event.contact_id  # type: ignore[attr-defined]
            if contact_id == 3:
                raise RuntimeError("contact 3 is cursed")
        handled.extend(each.event.contact_id for each in deliveries)  # type: ignore[attr-defined]

    container.bus.subscribe_batch([ContactCreated], picky, name="test.picky")
    _publish(container, *(ContactCreated(n) for n in range(1, 6)))

    assert container.relay.dispatch() == 4
    assert sorted(handled) == [1, 2, 4, 5]
    for _ in range(MAX_ATTEMPTS - 1):
        assert container.relay.pending_count() == 1
        expire_leases(container)
        assert container.relay.dispatch() == 0
    assert container.relay.pending_count() == 0
    [parked] = container.relay.parked()
    assert parked.subject == "contact:3"
    assert parked.attempts == MAX_ATTEMPTS
    assert "cursed" in (parked.last_error or "")

    container.bus.unsubscribe(ContactCreated, "test.picky")
    assert container.relay.retry_parked() == 1
    assert container.relay.drain() == 1
    assert container.relay.parked() == []


def test_handlers_that_trigger_each_other_forever_are_stopped(container: Container) -> None:
    hops: list[int] = []

    def forever(deliveries: Sequence[Delivery]) -> None:
        with container.uow() as uow:
            for each in deliveries:
                message = each.event
                assert isinstance(message, Echoed)
                hops.append(message.hops)
                uow.publish(Echoed(message.lead_id, message.hops + 1))
            uow.commit()

    container.bus.subscribe_batch([Echoed], forever, name="test.forever")
    _publish(container, Echoed(1, 0))

    container.relay.drain()

    assert hops == list(range(MAX_CASCADE))
    [parked] = container.relay.parked()
    assert "triggered each other" in (parked.last_error or "")


def test_a_fresh_event_in_a_batch_with_a_deep_cascade_is_not_counted_as_a_loop(
    container: Container,
) -> None:
    """Under steady load every batch mixes fresh events with the cascades of earlier
    ones: what a handler publishes is one step deeper than what it was given, not than
    the deepest event of the batch, or fresh events would end parked as a loop."""
    echoes: list[int] = []

    def echo_once(deliveries: Sequence[Delivery]) -> None:
        with container.uow() as uow:
            for each in deliveries:
                message = each.event
                assert isinstance(message, Echoed)
                if message.hops == 0:
                    uow.publish(Echoed(message.lead_id, 1))
                echoes.append(message.lead_id)
            uow.commit()

    def note_contact(deliveries: Sequence[Delivery]) -> None:
        with container.uow() as uow:
            uow.publish(*(Echoed(100 + each.event.contact_id, 0) for each in deliveries))
            uow.commit()

    container.bus.subscribe_batch([Echoed], echo_once, name="test.echo_once")
    container.bus.subscribe_batch([ContactCreated], note_contact, name="test.note_contact")
    _publish(container, ContactCreated(7))
    _publish(container, Echoed(1, 0))
    # The contact event comes from deep down a cascade: its echoes end one short of the limit.
    with container.session_factory() as session, session.begin():
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.event_type == ContactCreated.name)
            .values(depth=MAX_CASCADE - 3)
        )

    container.relay.drain()

    assert sorted(echoes) == [1, 1, 107, 107], echoes
    assert container.relay.parked() == []
    with container.read_session() as session:
        rows = session.execute(
            select(OutboxMessage.payload, OutboxMessage.depth).where(
                OutboxMessage.event_type == Echoed.name
            )
        ).all()
    depths = {(payload["lead_id"], payload["hops"]): depth for payload, depth in rows}
    # The fresh echo's child is one step deep, although it was handled in one batch
    # with an event 13 steps deep (whose child is 15 deep).
    assert depths == {(1, 0): 0, (1, 1): 1, (107, 0): 14, (107, 1): 15}, depths


def test_a_subjects_later_events_wait_while_another_relay_holds_its_first(
    container: Container,
) -> None:
    _publish(container, ContactUpdated(1, ("city",)), ContactCreated(2), ContactUpdated(1))
    with container.read_session() as session:
        first = session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)).first()
    # Another relay took contact 1's first event and its lease is still running.
    with container.session_factory() as session, session.begin():
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == first)
            .values(claimed_until=utcnow() + timedelta(minutes=1), attempts=1)
        )
    taken: list[tuple[str, int]] = []
    container.bus.subscribe(
        ContactUpdated, lambda e: taken.append(("updated", e.contact_id)), name="t.u"
    )
    container.bus.subscribe(
        ContactCreated, lambda e: taken.append(("created", e.contact_id)), name="t.c"
    )

    container.relay.dispatch()

    # Contact 2's event goes ahead; contact 1's second event waits for its first.
    assert taken == [("created", 2)]
    expire_leases(container)
    container.relay.drain()
    assert taken == [("created", 2), ("updated", 1), ("updated", 1)]
    assert container.relay.pending_count() == 0


def test_several_relays_handle_every_event_exactly_once(container: Container) -> None:
    counts: Counter[int] = Counter()
    lock = threading.Lock()

    def count(deliveries: Sequence[Delivery]) -> None:
        with lock:
            counts.update(each.id for each in deliveries)

    container.bus.subscribe_batch([ContactCreated], count, name="test.count")
    for start in range(0, 600, 100):
        _publish(container, *(ContactCreated(n) for n in range(start, start + 100)))
    container.relay.batch_size = 25

    def relay_until_empty() -> None:
        container.relay.drain()

    threads = [threading.Thread(target=relay_until_empty) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert container.relay.pending_count() == 0
    assert len(counts) == 600
    assert set(counts.values()) == {1}


def test_settle_waits_for_the_effects_of_its_own_writes(container: Container) -> None:
    effects: list[int] = []

    def chain(deliveries: Sequence[Delivery]) -> None:
        with container.uow() as uow:
            for each in deliveries:
                message = each.event
                assert isinstance(message, Echoed)
                effects.append(message.hops)
                if message.hops < 3:
                    uow.publish(Echoed(message.lead_id, message.hops + 1))
            uow.commit()

    container.bus.subscribe_batch([Echoed], chain, name="test.chain")
    with tracking_writes() as writes:
        _publish(container, Echoed(9, 0))
    assert writes.subjects == {"lead:9"}

    assert container.relay.settle(writes, timeout=10) is True

    assert effects == [0, 1, 2, 3]
    assert container.relay.pending_count() == 0


def test_the_relay_thread_outlives_a_failed_pass_and_handles_the_events_after_it(
    container: Container, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    handled: list[int] = []
    container.bus.subscribe(ContactCreated, lambda e: handled.append(e.contact_id), name="t.c")
    real = container.relay.run_batch
    failures = iter([OperationalError("SELECT", {}, Exception("the database went away"))])

    def flaky(ids: Sequence[int] | None, limit: int) -> tuple[int, int]:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return real(ids, limit)

    monkeypatch.setattr(container.relay, "run_batch", flaky)
    _publish(container, ContactCreated(1), ContactCreated(2))
    assert handled == []

    container.relay.start(interval=0.05)
    try:
        deadline = time.monotonic() + 20
        while len(handled) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        container.relay.stop()

    assert sorted(handled) == [1, 2]
    assert "outbox relay pass failed" in caplog.text
    assert container.relay.pending_count() == 0


def test_the_relay_knows_how_long_its_last_batchs_oldest_event_waited(
    container: Container,
) -> None:
    _publish(container, ContactCreated(1), ContactCreated(2))
    with container.engine.begin() as connection:
        connection.execute(
            update(OutboxMessage)
            .where(OutboxMessage.event_type == ContactCreated.name)
            .values(created_at=utcnow() - timedelta(seconds=3))
        )
    _publish(container, ContactCreated(3))

    assert container.relay.dispatch() == 3
    assert 3 <= container.relay.last_wait < 60
    assert container.relay.dispatch() == 0
    assert container.relay.last_wait == 0.0
