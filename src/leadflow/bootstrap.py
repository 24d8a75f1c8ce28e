"""The one place that wires engine, sessions, queue, bus and handlers."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from leadflow.bus import Event, MessageBus
from leadflow.config import Settings
from leadflow.db.engine import create_db_engine, create_session_factory
from leadflow.db.uow import UnitOfWork
from leadflow.outbox import OutboxRelay, RelayThread
from leadflow.queue import TaskQueue, build_huey
from leadflow.registry.domain import Registry
from leadflow.registry.services import RegistryCache

# Modules whose import declares events, handlers (via `subscribe(container)`)
# and background tasks. Order does not matter: they only register.
CONCEPT_MODULES = (
    "leadflow.accounts.events",
    "leadflow.contacts.events",
    "leadflow.leads.events",
    "leadflow.opportunities.events",
    "leadflow.interactions.events",
    "leadflow.users.events",
    "leadflow.registry.events",
    "leadflow.registry.handlers",
    "leadflow.system.tasks",
    "leadflow.jobs.tasks",
    "leadflow.org.events",
    "leadflow.scoring.events",
    "leadflow.matching.wiring",
    "leadflow.capture.wiring",
    "leadflow.scoring.wiring",
    "leadflow.scoring.tasks",
    "leadflow.process.wiring",
    "leadflow.sales.wiring",
    "leadflow.views.wiring",
    # Last: automation subscribes to every event the modules above declared.
    "leadflow.automation.wiring",
)


INLINE_EVENTS = 500


class Container:
    """Everything a process needs, built once from the settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        url = settings.effective_database_url
        self.engine: Engine = create_db_engine(url)
        # On SQLite reads get their own engine so they never wait for the write lock.
        self.read_engine: Engine = (
            create_db_engine(url, immediate=False) if settings.is_sqlite else self.engine
        )
        self.session_factory: sessionmaker[Session] = create_session_factory(self.engine)
        self.read_session_factory: sessionmaker[Session] = create_session_factory(self.read_engine)
        self.bus = MessageBus()
        self.relay = OutboxRelay(self.session_factory, self.bus)
        self.registry_cache = RegistryCache()
        self.queue = TaskQueue(build_huey(settings))
        self._relay_thread: RelayThread | None = None
        # Set by automation's wiring; typed loosely so bootstrap does not import it.
        self.automation: Any = None
        self._seeders: list[Callable[[Container], None]] = []
        for module_name in CONCEPT_MODULES:
            module = importlib.import_module(module_name)
            subscribe: Callable[[Container], None] | None = getattr(module, "subscribe", None)
            if subscribe is not None:
                subscribe(self)
            seed: Callable[[Container], None] | None = getattr(module, "seed", None)
            if seed is not None:
                self._seeders.append(seed)
        self.queue.bind_declared()

    def seed_defaults(self) -> None:
        """Create what a new org starts with (default strategies, shipped rules, the
        default process); idempotent, and never overwrites what users changed."""
        for seed in self._seeders:
            seed(self)

    def uow(self) -> UnitOfWork:
        after_commit = self._dispatch_inline if self.settings.dispatch_events_inline else None
        return UnitOfWork(
            self.session_factory,
            registry=self.registry_cache.get,
            after_commit=after_commit,
            claim_up_to=INLINE_EVENTS,
            tasks=self.queue,
        )

    def read_session(self) -> Session:
        return self.read_session_factory()

    def registry(self) -> Registry:
        with self.read_session() as session:
            return self.registry_cache.get(session)

    def _dispatch_inline(self, outbox_ids: list[int], events: list[Event] | None) -> None:
        # Handlers run right after the commit in this process; what fails here
        # stays in the outbox for a relay. A big batch (an import chunk, 10,000
        # interactions) goes to the background instead of holding the request.
        if events is not None:
            self.relay.handle_claimed(list(zip(outbox_ids, events, strict=True)))
        elif len(outbox_ids) <= INLINE_EVENTS:
            self.relay.dispatch(outbox_ids, limit=len(outbox_ids))
        else:
            self.queue.enqueue("system.relay_outbox")

    def start_relay(self, *, interval: float = 1.0) -> None:
        if self._relay_thread is None:
            self._relay_thread = RelayThread(self.relay, interval=interval)
            self._relay_thread.start()

    def close(self) -> None:
        if self._relay_thread is not None:
            self._relay_thread.stop()
            self._relay_thread.join(timeout=5)
            self._relay_thread = None
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()


_current: Container | None = None
_lock = threading.Lock()


def bootstrap(settings: Settings | None = None) -> Container:
    """Build the process's container (once) and return it."""
    global _current
    with _lock:
        if _current is None:
            _current = Container(settings or Settings())
        return _current


def current() -> Container:
    if _current is None:
        return bootstrap()
    return _current


def reset() -> None:
    """Forget the process's container (tests build one per database)."""
    global _current
    with _lock:
        if _current is not None:
            _current.close()
        _current = None


def install(container: Container | None) -> None:
    global _current
    with _lock:
        _current = container
