"""The transactional outbox: events stored with the change, handled after commit.

A request writes its change and its events in one transaction and answers; the
relay hands the stored events to their handlers in batches, breadth first:
every handler receives all pending events of its kinds at once, and what the
handlers publish is stored and taken by a later batch, never handled from
inside a handler. Every server and worker process runs a relay; rows are
claimed with a lease (SKIP LOCKED on PostgreSQL), so two processes never handle
one row at once, and a process that dies leaves its rows to another once the
lease runs out. The relay is woken by the commits of its own process, and
polls for the rest.

Per subject (a lead, a contact...) events are handled in the order they were
written: only the relay that holds a subject's oldest pending event takes that
subject's events, so a stage move never overtakes the one before it.

`models` holds the table, `_writing` what a commit stores and the context it stores
it under, `_statements` the relay's statements, `_relay` the relay and its
thread.
"""

from leadflow.outbox._relay import (
    BATCH_GROWTH_MAX,
    BATCH_SIZE,
    BEHIND_SECONDS,
    LEASE,
    LINGER_MAX_SECONDS,
    LINGER_MIN_EVENTS,
    MAX_ATTEMPTS,
    MAX_CASCADE,
    PURGE_EVERY,
    RETENTION,
    OutboxRelay,
    RelayThread,
    linger,
    next_limit,
)
from leadflow.outbox._writing import (
    SUBJECT_KEYS,
    Writes,
    event_subject,
    handling_inline,
    outbox_rows,
    record_writes,
    should_handle_inline,
    start_handling_inline,
    tracking_writes,
)
from leadflow.outbox.models import OutboxMessage

__all__ = [
    "BATCH_GROWTH_MAX",
    "BATCH_SIZE",
    "BEHIND_SECONDS",
    "LEASE",
    "LINGER_MAX_SECONDS",
    "LINGER_MIN_EVENTS",
    "MAX_ATTEMPTS",
    "MAX_CASCADE",
    "PURGE_EVERY",
    "RETENTION",
    "SUBJECT_KEYS",
    "OutboxMessage",
    "OutboxRelay",
    "RelayThread",
    "Writes",
    "event_subject",
    "handling_inline",
    "linger",
    "next_limit",
    "outbox_rows",
    "record_writes",
    "should_handle_inline",
    "start_handling_inline",
    "tracking_writes",
]
