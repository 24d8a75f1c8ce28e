"""Engine creation: WAL and foreign keys on SQLite, pooled psycopg on PostgreSQL."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from leadflow.db.checkpoint import checkpointer
from leadflow.db.file_turn import FileTurn
from leadflow.db.group_commit import install_group_writer, session_options

# Each SQLite connection's page cache, in KiB: SQLite's own default, set explicitly.
# A connection empties its whole cache when it starts a transaction after another
# connection committed, which under load is every transaction, and a large cache is
# slower to empty and to fill than a small one is to refill from the OS's page cache.
# Measured at 1M leads against 128 MiB: a relay batch's two counting statements after
# another connection's commit 66 ms against 89-96 ms, the floor's full-scan aggregate
# 14.4 s against 15.2-16.7 s, the unchanged full rescore 14.4-14.8 s against 16.5-16.8 s,
# the first one 27.4 and 31.3 s against 30.0 and 31.8 s; a 100k-row import the same.
PAGE_CACHE_KIB = 2000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute(f"PRAGMA cache_size=-{PAGE_CACHE_KIB}")
    cursor.execute("PRAGMA temp_store=MEMORY")
    # The WAL is checkpointed by the process's checkpoint thread (`db/checkpoint.py`),
    # not inside whichever COMMIT takes it past 1,000 pages.
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


_HELD = "leadflow_writer_lock_held"
_HELD_FILE = "leadflow_writer_file_turn_held"
QUEUE_TIMEOUT_SECONDS = 30


class _WriterQueue:
    """Writers of one process queue here before asking SQLite for its write lock.

    SQLite's busy handler sleeps and polls, so under many concurrent writers
    some wait far longer than their turn (a p99 of seconds at concurrency 32);
    queueing on an in-process lock first serves them in turn. The thread whose turn
    it is then queues with the other processes' writers on a file lock
    (`file_turn`) before SQLite's own lock and busy timeout.
    """

    def __init__(self, processes: FileTurn | None) -> None:
        self._lock = threading.Lock()
        self._processes = processes

    def begin(self, conn: Any) -> None:
        # Bounded: a thread that nests two write transactions must meet SQLite's
        # "database is locked" error, not wait on itself forever.
        if self._lock.acquire(timeout=QUEUE_TIMEOUT_SECONDS):
            conn.info[_HELD] = True
            if self._processes is not None and self._processes.acquire(QUEUE_TIMEOUT_SECONDS):
                conn.info[_HELD_FILE] = True
        try:
            # Deferred transactions that later write fail with SQLITE_BUSY
            # instead of waiting; taking the write lock up front makes writers queue.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.end(conn)
            raise

    def end(self, conn: Any, *_args: Any) -> None:
        self._release(conn.info)

    def end_on_checkin(self, _dbapi_connection: Any, record: Any) -> None:
        # A connection returned or invalidated mid-transaction must not keep the turn.
        self._release(record.info)

    def _release(self, info: dict[str, Any]) -> None:
        if info.pop(_HELD_FILE, False) and self._processes is not None:
            self._processes.release()
        if info.pop(_HELD, False):
            self._lock.release()


def sqlite_file(engine: Engine) -> str | None:
    """The database file of an on-disk SQLite engine; None for PostgreSQL or memory."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    return None if database in (None, "", ":memory:") else str(database)


def create_db_engine(url: str, *, echo: bool = False, immediate: bool = True) -> Engine:
    """An engine; on SQLite `immediate` makes every transaction take the write lock,
    and its sessions (`create_session_factory`) commit in groups (`group_commit`)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        on_disk = parsed.database not in (None, "", ":memory:")
        if on_disk:
            Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30, "isolation_level": None},
            pool_size=8,
            max_overflow=16,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        if on_disk and not parsed.query.get("uri"):
            checkpointer.watch(str(parsed.database))
        if immediate:
            writers = _WriterQueue(FileTurn(str(parsed.database)) if on_disk else None)
            event.listen(engine, "begin", writers.begin)
            event.listen(engine, "commit", writers.end)
            event.listen(engine, "rollback", writers.end)
            event.listen(engine, "checkin", writers.end_on_checkin)
            install_group_writer(engine)
        return engine
    engine = create_engine(url, echo=echo, pool_size=10, max_overflow=20)
    event.listen(engine, "checkin", _note_idle)
    event.listen(engine, "checkout", _ping_if_idle)
    return engine


# A pooled PostgreSQL connection that sat unused this long is pinged before it is
# handed out, and replaced if the server dropped it (a restart, an idle timeout).
# SQLAlchemy's pool_pre_ping pings at every checkout: a round trip each time, six a
# relay batch, 8 % of the relay's time on a loaded machine, for connections in use
# a moment ago.
IDLE_PING_SECONDS = 10.0
_IDLE_SINCE = "leadflow_idle_since"


def _note_idle(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info[_IDLE_SINCE] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    idle_since = record.info.get(_IDLE_SINCE)
    if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
        return  # new, or used a moment ago
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        # Handed out idle, as a pooled connection is, not inside the ping's
        # transaction (a read session sets its connection read-only first, which
        # psycopg refuses in a transaction); COMMIT, since a ROLLBACK would make
        # psycopg forget the statements it prepared (see `ReadOnlySession`).
        dbapi_connection.commit()
    except Exception as exc:
        # The pool drops this connection and checks out another (a new one if need be).
        raise DisconnectionError() from exc


_HELD_ROWS = "leadflow_held_rows"


def _hold(session: Session, instance: object) -> None:
    session.info.setdefault(_HELD_ROWS, []).append(instance)


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep every row they load or write until they close.

    On a SQLite engine made with `immediate`, they are group-commit sessions: each
    transaction is a savepoint in the process's shared write transaction.

    SQLAlchemy's identity map holds rows weakly: a row a service loaded and let go
    of (a contact read for its account) is read again by the next service in the
    same unit of work. Units of work are short, so holding them costs little and
    saves those round trips.
    """
    factory = sessionmaker(bind=engine, expire_on_commit=False, **session_options(engine))
    event.listen(factory, "loaded_as_persistent", _hold)
    event.listen(factory, "pending_to_persistent", _hold)
    return factory


class ReadOnlySession(Session):
    """A PostgreSQL session that only reads: its transactions are READ ONLY, and it
    ends them with COMMIT.

    psycopg forgets every statement it prepared on a connection at a ROLLBACK
    (DEALLOCATE ALL), and a read session used to end in one. Pooled connections
    serve reads and writes in turn, so the relay's statements were never prepared
    and PostgreSQL planned scoring's on every batch: about 2 ms each, three to five
    times what running them for one lead then took. A read-only transaction has nothing to
    undo, so COMMIT ends it the same way and leaves the prepared statements."""

    def close(self) -> None:
        if self.in_transaction():
            try:
                self.commit()
            except Exception:  # a failed statement left it to be rolled back
                self.rollback()
        super().close()


def create_read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for reads. On PostgreSQL read-only ones (`ReadOnlySession`): a write
    through one fails instead of being rolled back unseen."""
    if engine.dialect.name != "postgresql":
        return create_session_factory(engine)
    read_only = engine.execution_options(postgresql_readonly=True)
    factory: sessionmaker[Session] = sessionmaker(
        bind=read_only, class_=ReadOnlySession, expire_on_commit=False
    )
    event.listen(factory, "loaded_as_persistent", _hold)
    return factory
