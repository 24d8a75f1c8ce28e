from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from leadflow.bus import Event, HandlerFailed, MessageBus
from leadflow.interactions.events import InteractionRecorded


@dataclass(frozen=True)
class Pinged(Event):
    name = "test.pinged"
    value: int


def test_every_subscribed_handler_runs_once_per_event() -> None:
    bus = MessageBus()
    seen: list[tuple[str, int]] = []
    bus.subscribe(Pinged, lambda event: seen.append(("a", event.value)), name="a")
    bus.subscribe(Pinged, lambda event: seen.append(("b", event.value)), name="b")
    bus.subscribe(Pinged, lambda event: seen.append(("a-again", event.value)), name="a")
    bus.handle(Pinged(7))
    assert seen == [("a", 7), ("b", 7)]


def test_a_failing_handler_does_not_stop_the_others() -> None:
    bus = MessageBus()
    seen: list[int] = []

    def broken(event: Pinged) -> None:
        raise RuntimeError("boom")

    bus.subscribe(Pinged, broken, name="broken")
    bus.subscribe(Pinged, lambda event: seen.append(event.value), name="ok")
    with pytest.raises(HandlerFailed) as caught:
        bus.handle(Pinged(3))
    assert seen == [3]
    assert caught.value.failures == ["broken"]


def test_events_survive_the_outbox_round_trip() -> None:
    original = InteractionRecorded(
        interaction_id=1,
        contact_id=2,
        lead_id=None,
        kind="email_opened",
        target_id="mail-9",
        occurred_at=datetime(2026, 5, 1, 12, tzinfo=UTC),
    )
    assert InteractionRecorded.from_payload(original.to_payload()) == original


def test_reorder_changes_the_order_handlers_run_in() -> None:
    bus = MessageBus()
    seen: list[str] = []
    bus.subscribe(Pinged, lambda event: seen.append("a"), name="a")
    bus.subscribe(Pinged, lambda event: seen.append("b"), name="b")
    bus.handle(Pinged(1))
    bus.reorder(["b", "a"])
    bus.handle(Pinged(2))
    assert seen == ["a", "b", "b", "a"]
    assert bus.names == ["b", "a"]
    with pytest.raises(ValueError):
        bus.reorder(["a"])
