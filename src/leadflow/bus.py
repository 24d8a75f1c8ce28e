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
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar, TypeVar

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Event:
    """Base of every domain event; subclasses set `name` and are registered by it."""

    name: ClassVar[str] = "event"

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {}
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            payload[item.name] = value
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Event:
        kwargs: dict[str, Any] = {}
        hints = {item.name: item for item in dataclasses.fields(cls)}
        for key, value in payload.items():
            if key not in hints:
                continue
            annotation = str(hints[key].type)
            if "datetime" in annotation and isinstance(value, str):
                value = datetime.fromisoformat(value)
            elif "tuple" in annotation and isinstance(value, list):
                value = tuple(value)
            kwargs[key] = value
        return cls(**kwargs)


EVENT_TYPES: dict[str, type[Event]] = {}

E = TypeVar("E", bound=type[Event])


def event(cls: E) -> E:
    """Register an event class under its `name` so the outbox can rebuild it."""
    if cls.name in EVENT_TYPES and EVENT_TYPES[cls.name] is not cls:
        raise ValueError(f"event name {cls.name!r} is registered twice")
    EVENT_TYPES[cls.name] = cls
    return cls


Handler = Callable[[Any], None]


class MessageBus:
    """Maps event classes to the handlers that react to them."""

    def __init__(self) -> None:
        self._handlers: dict[type[Event], list[tuple[str, Handler]]] = defaultdict(list)

    def subscribe(self, event_type: type[Event], handler: Handler, *, name: str) -> None:
        entries = self._handlers[event_type]
        if any(existing == name for existing, _ in entries):
            return
        entries.append((name, handler))

    def unsubscribe(self, event_type: type[Event], name: str) -> None:
        self._handlers[event_type] = [
            (existing, handler)
            for existing, handler in self._handlers[event_type]
            if existing != name
        ]

    def handlers_for(self, event_type: type[Event]) -> list[tuple[str, Handler]]:
        return list(self._handlers.get(event_type, []))

    def handle(self, message: Event) -> None:
        """Run every handler; one failing handler does not stop the others."""
        failures: list[tuple[str, BaseException]] = []
        for name, handler in self.handlers_for(type(message)):
            try:
                handler(message)
            except Exception as exc:
                logger.exception("handler %s failed on %s", name, message.name)
                failures.append((name, exc))
        if failures:
            names = ", ".join(name for name, _ in failures)
            raise HandlerFailed(f"handlers failed on {message.name}: {names}", failures)


class HandlerFailed(Exception):
    def __init__(self, message: str, failures: list[tuple[str, BaseException]]) -> None:
        super().__init__(message)
        self.failures = failures
