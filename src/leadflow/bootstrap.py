"""The one place that wires engine, sessions, queue, bus and handlers."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable

from sqlalchemy import Engine, MetaData
from sqlalchemy.orm import Session, sessionmaker

from leadflow.bus import MessageBus
from leadflow.config import Settings
from leadflow.db.base import Base
from leadflow.db.engine import (
    create_db_engine,
    create_read_session_factory,
    create_session_factory,
)
from leadflow.db.uow import UnitOfWork
from leadflow.db.wake import WakeChannel
from leadflow.lib import sealed
from leadflow.outbox import OutboxRelay, record_writes, should_handle_inline
from leadflow.queue import TaskQueue, build_huey
from leadflow.registry.builtin import register
from leadflow.registry.derived import register_derived
from leadflow.registry.domain import Registry
from leadflow.registry.handlers import subscribe_cache
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
    "leadflow.system.wiring",
    "leadflow.jobs.wiring",
    "leadflow.switches.events",
    "leadflow.scoring.events",
    "leadflow.duplicates.events",
    "leadflow.matching.events",
    "leadflow.duplicates.wiring",
    "leadflow.activities.events",
    "leadflow.matching.wiring",
    "leadflow.capture.events",
    "leadflow.capture.wiring",
    "leadflow.linkedin.wiring",
    "leadflow.scoring.wiring",
    "leadflow.scoring.tasks",
    "leadflow.process.wiring",
    "leadflow.sales.wiring",
    "leadflow.saved_views.wiring",
    "leadflow.segments.events",
    "leadflow.segments.wiring",
    "leadflow.segments.tasks",
    "leadflow.imports.tasks",
    "leadflow.journeys.wiring",
    "leadflow.journeys.tasks",
    "leadflow.emails.wiring",
    # Last: automation subscribes to every event the modules above declared.
    "leadflow.automation.wiring",
)

# Every module that declares tables: together, the schema the migrations build.
MODEL_MODULES = (
    "leadflow.outbox.models",
    "leadflow.registry.models",
    *(
        f"leadflow.{concept}.models"
        for concept in (
            "accounts",
            "activities",
            "automation",
            "capture",
            "contacts",
            "duplicates",
            "emails",
            "imports",
            "interactions",
            "jobs",
            "journeys",
            "leads",
            "linkedin",
            "matching",
            "opportunities",
            "process",
            "sales",
            "saved_views",
            "scoring",
            "segments",
            "switches",
            "users",
        )
    ),
)


def all_tables() -> MetaData:
    """The metadata with every concept's tables declared on it: what Alembic compares
    the migrations against and what a test database is emptied by."""
    for module_name in MODEL_MODULES:
        importlib.import_module(module_name)
    return Base.metadata


# The record concepts' built-in fields (`<concept>/fields.py`), in the order the
# registry lists their entities.
FIELD_MODULES = (
    "leadflow.contacts.fields",
    "leadflow.accounts.fields",
    "leadflow.leads.fields",
    "leadflow.opportunities.fields",
    "leadflow.interactions.fields",
    "leadflow.users.fields",
)


# Derived list fields, each declared by the concept whose tables it reads, in the
# order a list offers them.
DERIVED_MODULES = (
    "leadflow.scoring.fields",
    "leadflow.process.fields",
    "leadflow.interactions.fields",
)


# The registry lists relationships by the entity they start from: the lead's first.
RELATIONSHIP_SOURCES = ("lead", "contact", "opportunity", "interaction")


def register_record_fields() -> None:
    """Hand the registry each record concept's fields and table, and the derived fields."""
    register(
        *(importlib.import_module(name).RECORD for name in FIELD_MODULES),
        relationships_by_source=RELATIONSHIP_SOURCES,
    )
    for name in DERIVED_MODULES:
        register_derived(*importlib.import_module(name).DERIVED)


# Before anything reads the registry: importing the composition root is what every
# process (web, worker, CLI, tests) does first.
register_record_fields()


class Container:
    """Everything a process needs, built once from the settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        sealed.configure(sealed.key_from(settings.token_key, settings.effective_secret_key))
        url = settings.effective_database_url
        self.engine: Engine = create_db_engine(url)
        # On SQLite reads get their own engine so they never wait for the write lock.
        self.read_engine: Engine = (
            create_db_engine(url, immediate=False) if settings.is_sqlite else self.engine
        )
        self.session_factory: sessionmaker[Session] = create_session_factory(self.engine)
        self.read_session_factory: sessionmaker[Session] = create_read_session_factory(
            self.read_engine
        )
        self.bus = MessageBus()
        self.relay = OutboxRelay(self.session_factory, self.bus)
        self.wake = WakeChannel(url)
        self.registry_cache = RegistryCache()
        subscribe_cache(self.bus, self.registry_cache)
        self.queue = TaskQueue(build_huey(settings))
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
        return UnitOfWork(
            self.session_factory,
            registry=self.registry_cache.get,
            after_commit=self._committed,
            tasks=self.queue,
        )

    def read_session(self) -> Session:
        return self.read_session_factory()

    def registry(self) -> Registry:
        with self.read_session() as session:
            return self.registry_cache.get(session)

    def _committed(self, outbox_ids: list[int], subjects: set[str]) -> None:
        record_writes(outbox_ids, subjects)
        if should_handle_inline():
            self.relay.drain()
        elif self.relay.running:
            self.relay.notify()
        else:
            self.wake.ping()  # the relay of another process (`leadflow worker`)

    def start_relay(self) -> None:
        self.relay.start(interval=self.settings.relay_poll_seconds)
        self.wake.listen(self.relay.notify)

    def close(self) -> None:
        self.wake.close()
        self.relay.stop()
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
