"""What the composition root hands a concept: its wiring, its tasks and its jobs.

A concept's `wiring.subscribe(dependencies)` and `seed(dependencies)`, the tasks
its wiring binds to the queue and the jobs it runs (`JobContext.container`) are
typed by this protocol, not by `leadflow.bootstrap.Container`: a concept then
depends on what it uses (sessions, units of work, the bus, the queue, the
settings), and the composition root stays the one module that builds them.
The Container satisfies the protocol; a test can hand anything that does.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from leadflow.bus import MessageBus
from leadflow.config import Settings
from leadflow.db.uow import UnitOfWork
from leadflow.outbox import OutboxRelay
from leadflow.queue import TaskQueue
from leadflow.registry.domain import Registry
from leadflow.registry.services import RegistryCache


class Dependencies(Protocol):
    """A process's shared dependencies, as a concept sees them."""

    @property
    def settings(self) -> Settings: ...

    @property
    def engine(self) -> Engine: ...

    @property
    def bus(self) -> MessageBus: ...

    @property
    def queue(self) -> TaskQueue: ...

    @property
    def relay(self) -> OutboxRelay: ...

    @property
    def registry_cache(self) -> RegistryCache: ...

    def uow(self) -> UnitOfWork:
        """A new unit of work: the only way to write."""
        ...

    def read_session(self) -> Session:
        """A session for reading (on SQLite, one that never waits for the write lock)."""
        ...

    def registry(self) -> Registry:
        """The fields registry as it stands now."""
        ...
