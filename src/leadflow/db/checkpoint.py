"""SQLite's WAL checkpointed by a thread of its own, not inside a writer's COMMIT.

SQLite's automatic checkpoint runs in the COMMIT that takes the WAL past 1,000
pages: that commit copies the WAL into the database file and syncs it, while it
holds the write lock. Measured, that was about 50 ms of a first rescore's 140 ms
commit, and it lands on one unlucky submission in a burst of captures (their p99).

So the engines' connections do not checkpoint (`wal_autocheckpoint=0`), and this
module's thread watches the WAL files of the databases this process opened: when
one has changed since it last looked, it runs a PASSIVE checkpoint on a connection
of its own. A passive checkpoint never takes the write lock and never waits for a
reader: it copies what no reader still needs, and a later pass copies the rest, as
the automatic one would. Writers go on meanwhile; SQLite's calls release the GIL.

If a process dies before its thread got round to it, the WAL is still durable; the
next process's thread, or SQLite itself when the last connection closes, copies it.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from pathlib import Path

logger = logging.getLogger(__name__)

# How often the thread looks at the WAL files: one stat() a file, and a checkpoint
# only for a file that changed. At 0.2 s a burst's checkpoint copies many commits'
# pages at once, each page once.
CHECKPOINT_INTERVAL_SECONDS = 0.2


class WalCheckpointer:
    """Checkpoints the WAL of every SQLite file it watches; with an interval, from a
    thread of its own (one per process, ending when no watched file is left)."""

    def __init__(self, *, interval: float | None = CHECKPOINT_INTERVAL_SECONDS) -> None:
        self._interval = interval
        self._lock = threading.Lock()
        self._last_seen: dict[str, tuple[int, int] | None] = {}
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self.checkpoints = 0

    @property
    def watching(self) -> list[str]:
        with self._lock:
            return list(self._last_seen)

    def watch(self, database_path: str) -> None:
        """Checkpoint this database file's WAL from now on (idempotent)."""
        path = os.path.abspath(database_path)
        with self._lock:
            if self._pid != os.getpid():
                # A forked child inherits the parent's files but not its thread.
                self._last_seen, self._thread, self._pid = {}, None, os.getpid()
            self._last_seen.setdefault(path, None)
            if self._interval is not None and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(
                    target=self._run,
                    args=(self._interval,),
                    name="leadflow-wal-checkpoint",
                    daemon=True,
                )
                self._thread.start()

    def run_once(self) -> None:
        """One look at every watched file: the thread's loop body."""
        for path in self.watching:
            if not os.path.exists(path):
                with self._lock:
                    self._last_seen.pop(path, None)
                continue
            try:
                wal = os.stat(path + "-wal")
            except FileNotFoundError:
                continue
            seen = (wal.st_size, wal.st_mtime_ns)
            if seen != self._last_seen.get(path) and self._checkpoint(path):
                with self._lock:
                    if path in self._last_seen:
                        self._last_seen[path] = seen

    def _checkpoint(self, path: str) -> bool:
        # A connection per pass, not kept: a file replaced meanwhile (a restore) is
        # the new file, and at five passes a second opening costs nothing that shows.
        try:
            # mode=rw: a file removed since the look is an error here, not a new file.
            uri = Path(path).as_uri() + "?mode=rw"
            connection = sqlite3.connect(uri, uri=True, timeout=0, isolation_level=None)
            try:
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            finally:
                connection.close()
        except sqlite3.Error:
            # Busy (another process is checkpointing) or the file went away: the next
            # look tries again; nothing is lost, the WAL stays durable meanwhile.
            logger.debug("WAL checkpoint of %s skipped", path, exc_info=True)
            return False
        self.checkpoints += 1
        return True

    def _run(self, interval: float) -> None:
        while True:
            time.sleep(interval)
            try:
                self.run_once()
            except Exception:  # the thread must outlive one bad pass
                logger.exception("WAL checkpoint pass failed")
            with self._lock:
                if not self._last_seen:
                    self._thread = None
                    return


checkpointer = WalCheckpointer()
