"""The in-process message bus.

Events are past-tense frozen dataclasses. A service publishes them on its unit
of work; they are written to the outbox in the same transaction as the change
and handed to the subscribed handlers after the commit. Handlers run at least
once (a crash between commit and handling replays them on restart), so every
handler must be idempotent.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any, ClassVar, TypeVar

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Event:
    """Base of every domain event; subclasses set `name` and are registered by it."""

    name: ClassVar[str] = "event"
    # An event about many records at once names the event it stands for on each record
    # (`parts()`): what reacts per record (automation's rules) sees those, and only
    # those are offered as triggers.
    stands_for: ClassVar[type[Event] | None] = None

    def parts(self) -> tuple[Event, ...]:
        """The per-record events this one stands for (itself, for most events)."""
        return (self,)

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {}
        for name in _field_names(type(self)):
            value = getattr(self, name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            payload[name] = value
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Event:
        kwargs: dict[str, Any] = {}
        kinds = _field_kinds(cls)
        for key, value in payload.items():
            kind = kinds.get(key)
            if kind is None:
                continue
            if kind == "datetime" and isinstance(value, str):
                value = datetime.fromisoformat(value)
            elif kind == "tuple" and isinstance(value, list):
                value = tuple(value)
            kwargs[key] = value
        return cls(**kwargs)


# Per event class, worked out once: the relay rebuilds and stores several events for
# every submission, and reading a dataclass's fields each time cost more than the rest.
_FIELD_NAMES: dict[type[Event], tuple[str, ...]] = {}
_FIELD_KINDS: dict[type[Event], dict[str, str]] = {}


def _field_names(cls: type[Event]) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(item.name for item in dataclasses.fields(cls))
    return names


def _field_kinds(cls: type[Event]) -> dict[str, str]:
    """Field name -> "datetime", "tuple" or "" (kept as stored), by its annotation."""
    kinds = _FIELD_KINDS.get(cls)
    if kinds is None:
        kinds = {}
        for item in dataclasses.fields(cls):
            annotation = str(item.type)
            kinds[item.name] = (
                "datetime" if "datetime" in annotation else "tuple" if "tuple" in annotation else ""
            )
        _FIELD_KINDS[cls] = kinds
    return kinds


EVENT_TYPES: dict[str, type[Event]] = {}

E = TypeVar("E", bound=type[Event])


def event(cls: E) -> E:
    """Register an event class under its `name` so the outbox can rebuild it."""
    if cls.name in EVENT_TYPES and EVENT_TYPES[cls.name] is not cls:
        raise ValueError(f"event name {cls.name!r} is registered twice")
    EVENT_TYPES[cls.name] = cls
    return cls


Handler = Callable[[Any], None]


@dataclasses.dataclass(frozen=True)
class Delivery:
    """A stored event handed to a handler; `id` (its outbox row) is the same on every
    redelivery, so a handler can make its effect happen once."""

    id: int
    event: Event
    # How many handler steps led to it (the outbox row's depth).
    depth: int = 0
    # Of an event about many records taken apart (`Event.parts`), which record's event,
    # from 1; 0 for a stored event itself.
    part: int = 0


BatchHandler = Callable[[Sequence[Delivery]], None]


@dataclasses.dataclass
class Subscription:
    """A named handler: either one call per batch, or one call per event by type."""

    name: str
    event_types: set[type[Event]]
    batch: BatchHandler | None = None
    singles: dict[type[Event], Handler] = dataclasses.field(default_factory=dict)

    def run(self, deliveries: Sequence[Delivery]) -> None:
        if self.batch is not None:
            self.batch(deliveries)
            return
        for each in deliveries:
            self.singles[type(each.event)](each.event)


class MessageBus:
    """Maps event classes to the handlers that react to them.

    A batch handler receives every event of its kinds in a batch at once and does
    set-based work; a per-event handler is called once per event. Handlers run in
    the order they subscribed; what they publish is stored and handled in a later
    batch (breadth first), never from inside the handler.
    """

    def __init__(self) -> None:
        self._subscriptions: list[Subscription] = []

    def subscribe(self, event_type: type[Event], handler: Handler, *, name: str) -> None:
        """Call `handler(event)` for each event of this type."""
        existing = self._find(name)
        if existing is None:
            existing = Subscription(name, set())
            self._subscriptions.append(existing)
        elif existing.batch is not None:
            raise ValueError(f"handler {name!r} is already a batch handler")
        if event_type not in existing.singles:
            existing.singles[event_type] = handler
            existing.event_types.add(event_type)

    def subscribe_batch(
        self, event_types: Collection[type[Event]], handler: BatchHandler, *, name: str
    ) -> None:
        """Call `handler(deliveries)` once per batch with every event of these types."""
        if self._find(name) is None:
            self._subscriptions.append(Subscription(name, set(event_types), batch=handler))

    def unsubscribe(self, event_type: type[Event], name: str) -> None:
        for item in list(self._subscriptions):
            if item.name == name:
                item.event_types.discard(event_type)
                item.singles.pop(event_type, None)
                if not item.event_types:
                    self._subscriptions.remove(item)

    @property
    def names(self) -> list[str]:
        """The subscriptions' names, in the order they run."""
        return [item.name for item in self._subscriptions]

    def reorder(self, names: Sequence[str]) -> None:
        """Run the subscriptions in this order (every name, once). Tests use it to show
        that no handler depends on another one running first."""
        if sorted(names) != sorted(self.names):
            raise ValueError("reorder needs every subscription's name once")
        position = {name: index for index, name in enumerate(names)}
        self._subscriptions.sort(key=lambda item: position[item.name])

    def _find(self, name: str) -> Subscription | None:
        return next((item for item in self._subscriptions if item.name == name), None)

    def handles(self, event_type: type[Event]) -> bool:
        return any(event_type in item.event_types for item in self._subscriptions)

    def handle_batch(
        self,
        deliveries: Sequence[Delivery],
        *,
        around: Callable[[Sequence[Delivery]], AbstractContextManager[None]] | None = None,
    ) -> dict[int, list[str]]:
        """Run every subscription over the batch; returns the failures by delivery id.

        A batch handler that fails is run again one event at a time, so the event
        at fault is found and the rest of the batch still takes effect. `around`
        wraps each handler call with the deliveries it gets (the outbox counts the
        cascade depth of what the handler publishes from them).
        """
        failures: dict[int, list[str]] = {}
        wrap = around or (lambda _deliveries: nullcontext())
        for item in list(self._subscriptions):
            mine = [each for each in deliveries if type(each.event) in item.event_types]
            if not mine:
                continue
            singles = mine
            if item.batch is not None and len(mine) > 1:
                try:
                    with wrap(mine):
                        item.run(mine)
                    continue
                except Exception:
                    logger.exception("handler %s failed on a batch of %d", item.name, len(mine))
            for each in singles:
                try:
                    with wrap([each]):
                        item.run([each])
                except Exception as exc:
                    logger.exception("handler %s failed on %s", item.name, each.event.name)
                    failures.setdefault(each.id, []).append(f"{item.name}: {exc!r}")
        return failures

    def handle(self, message: Event) -> None:
        """Run every handler on one event (outside the outbox: tests, scripts)."""
        failures = self.handle_batch([Delivery(0, message)])
        if failures:
            names = [entry.partition(":")[0] for entry in failures[0]]
            raise HandlerFailed(f"handlers failed on {message.name}: {', '.join(names)}", names)


class HandlerFailed(Exception):
    def __init__(self, message: str, failures: list[str]) -> None:
        super().__init__(message)
        self.failures = failures
