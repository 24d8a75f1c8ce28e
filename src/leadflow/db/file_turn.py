"""Writers of several processes on one SQLite file take turns on a file lock.

SQLite's own busy handler, when its write lock is taken, sleeps 1, 2, 5, 10, 15,
20, 25, 25, 50, 50, 100 ms... between tries. A `leadflow serve` beside a
`leadflow worker` waited 34, 54, 105, up to 183 ms for a lock the worker held for
21 to 37 ms (measured at 600 captures/s): those sleeps were the capture p99.
Waiting on an OS lock of our own instead, a writer tries again within
`POLL_MAX_SECONDS` of the lock's release.

The file lock only orders the writers that use it; SQLite's lock still decides
what is safe. So a writer that waited `timeout` seconds goes on to SQLite's lock
anyway, and meets its busy timeout and "database is locked" as before; a file
removed and made again (a restore) at worst leaves the writers to SQLite's lock.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

# The first tries follow each other closely (a turn held for a moment), later ones
# at most this far apart; the waiting costs a system call per try.
POLL_MIN_SECONDS = 0.0002
POLL_MAX_SECONDS = 0.002


class FileTurn:
    """An exclusive flock() on `<database>-<name>` (`-writer` for SQLite's writers),
    one holder per process at a time.

    Callers serialise their own threads first (one thread per process asks here at
    a time); the descriptor is opened in the process that uses it, so a fork gets
    its own.
    """

    def __init__(self, database_path: str, name: str = "writer") -> None:
        self._path = f"{database_path}-{name}"
        self._fd: int | None = None
        self._pid = 0
        self._open_lock = threading.Lock()

    def acquire(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the turn; False if it was not had."""
        fd = self._descriptor()
        if fd is None:
            return False
        deadline = time.monotonic() + timeout
        pause = POLL_MIN_SECONDS
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(pause)
                pause = min(pause * 2, POLL_MAX_SECONDS)
            except OSError:
                return False

    def release(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _descriptor(self) -> int | None:
        with self._open_lock:
            if self._fd is None or self._pid != os.getpid():
                try:
                    self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
                except OSError:
                    return None  # a read-only directory: SQLite's lock alone, as before
                self._pid = os.getpid()
            return self._fd


class Turn:
    """One holder at a time among the threads of every process using one SQLite file:
    a thread lock, then a `FileTurn` named for what it guards. A thread that holds
    the turn has it again at once (a task run inline by a handler that holds it)."""

    def __init__(self, database_path: str, name: str) -> None:
        self._threads = threading.Lock()
        self._processes = FileTurn(database_path, name)
        self._holder = threading.local()

    @contextmanager
    def held(self, timeout: float) -> Iterator[bool]:
        """Whether the turn was had within `timeout` seconds; held until the block ends."""
        if getattr(self._holder, "depth", 0):
            self._holder.depth += 1
            try:
                yield True
            finally:
                self._holder.depth -= 1
            return
        if not self._threads.acquire(timeout=timeout):
            yield False
            return
        try:
            if not self._processes.acquire(timeout):
                yield False
                return
            self._holder.depth = 1
            try:
                yield True
            finally:
                self._holder.depth = 0
                self._processes.release()
        finally:
            self._threads.release()
