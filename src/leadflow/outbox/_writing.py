"""What a commit stores in the outbox, and the context it stores it under: the cascade
depth of the handler writing, the writes a request tracks, handling inline or not."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from leadflow.bus import Delivery, Event
from leadflow.lib.clock import utcnow

# A segment's membership events (one per batch, naming many contacts) are ordered per
# segment: its entries and exits are handled in the order they happened.
SUBJECT_KEYS = ("lead_id", "contact_id", "account_id", "opportunity_id", "segment_id")


def event_subject(item: Event) -> str | None:
    for key in SUBJECT_KEYS:
        value = getattr(item, key, None)
        if value is not None:
            return f"{key.removesuffix('_id')}:{value}"
    return None


cascade_depth: ContextVar[int] = ContextVar("leadflow_cascade_depth", default=0)


def outbox_rows(events: Sequence[Event]) -> list[dict[str, Any]]:
    now = utcnow()
    depth = cascade_depth.get()
    return [
        {
            "event_type": item.name,
            "payload": item.to_payload(),
            "subject": event_subject(item),
            "depth": depth,
            "created_at": now,
            "attempts": 0,
        }
        for item in events
    ]


@dataclass
class Writes:
    """The outbox rows a request or a command wrote, so it can wait for their effects."""

    ids: list[int] = field(default_factory=list)
    subjects: set[str] = field(default_factory=set)

    def add(self, ids: Sequence[int], subjects: Collection[str]) -> None:
        self.ids.extend(ids)
        self.subjects.update(subjects)

    def __bool__(self) -> bool:
        return bool(self.ids)


_writes: ContextVar[Writes | None] = ContextVar("leadflow_outbox_writes", default=None)


@contextmanager
def tracking_writes() -> Iterator[Writes]:
    """Collect what the commits inside (threads started inside included) write."""
    writes = Writes()
    token = _writes.set(writes)
    try:
        yield writes
    finally:
        _writes.reset(token)


def record_writes(ids: Sequence[int], subjects: Collection[str]) -> None:
    writes = _writes.get()
    if writes is not None:
        writes.add(ids, subjects)


_inline: ContextVar[bool] = ContextVar("leadflow_outbox_inline", default=False)


@contextmanager
def handling_inline() -> Iterator[None]:
    """Inside, every commit has its events handled (breadth first, to the end of
    the cascade) before it returns: for one-off jobs such as loading the demo,
    whose next step reads what the handlers of the last one wrote."""
    token = _inline.set(True)
    try:
        yield
    finally:
        _inline.reset(token)


def start_handling_inline() -> None:
    """`handling_inline` for the rest of this thread (a command-line process)."""
    _inline.set(True)


def should_handle_inline() -> bool:
    # A handler's own commit never drains: the relay that runs it goes on.
    return _inline.get() and cascade_depth.get() == 0


@contextmanager
def one_step_deeper(deliveries: Sequence[Delivery]) -> Iterator[None]:
    """What a handler publishes is one step deeper than the deepest event it was
    given, not than the deepest of the whole batch: under steady load every batch
    mixes fresh events with the cascades of earlier ones, and a batch-wide depth
    would climb batch after batch until fresh events were parked as a loop."""
    token = cascade_depth.set(max(each.depth for each in deliveries) + 1)
    try:
        yield
    finally:
        cascade_depth.reset(token)
