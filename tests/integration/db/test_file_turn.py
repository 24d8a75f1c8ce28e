"""Writers of several processes on one SQLite file queue on a file lock before
SQLite's own (db/file_turn.py): the lock is held exactly while a write
transaction is open."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from leadflow.db.engine import create_db_engine
from leadflow.db.file_turn import FileTurn


def _taken(lock_path: Path) -> bool:
    """Whether some writer holds the turn (a descriptor of our own tries it)."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'turn.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE marks (id INTEGER PRIMARY KEY)"))
    yield engine
    engine.dispose()


def test_a_write_transaction_holds_the_turn_until_it_ends(engine: Engine, tmp_path: Path) -> None:
    lock_path = tmp_path / "turn.db-writer"
    assert not _taken(lock_path)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO marks DEFAULT VALUES"))
        assert _taken(lock_path)
    assert not _taken(lock_path)

    with pytest.raises(RuntimeError), engine.begin() as connection:
        connection.execute(text("INSERT INTO marks DEFAULT VALUES"))
        assert _taken(lock_path)
        raise RuntimeError("rolled back")
    assert not _taken(lock_path)


def test_a_writer_of_another_process_waits_for_the_turn(engine: Engine, tmp_path: Path) -> None:
    # flock() locks belong to the open file, so a second FileTurn of this process
    # meets the engine's lock as another process's would.
    other = FileTurn(str(tmp_path / "turn.db"))
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO marks DEFAULT VALUES"))
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10)
        assert not other.acquire(timeout=0.05)
    finally:
        release.set()
        holder.join()
    assert other.acquire(timeout=1)
    other.release()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM marks")).scalar_one() == 1


def test_without_a_writable_folder_writers_rely_on_sqlite_alone(tmp_path: Path) -> None:
    turn = FileTurn(str(tmp_path / "missing" / "turn.db"))
    assert not turn.acquire(timeout=0.01)
    turn.release()  # nothing held: a no-op
