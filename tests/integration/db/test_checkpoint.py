"""SQLite's WAL is copied into the database file by the checkpoint thread, not by
the COMMIT that grows it (db/checkpoint.py)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from leadflow.db import engine as engine_module
from leadflow.db.checkpoint import WalCheckpointer
from leadflow.db.engine import create_db_engine

_ROWS = 4000  # about 2,000 pages of 4 KiB: past SQLite's automatic threshold of 1,000
_PAGES_WRITTEN = 1500 * 4096


def _write_pages(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS filler (body TEXT)"))
    for _ in range(4):
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO filler (body) VALUES (:body)"),
                [{"body": "x" * 2000} for _ in range(_ROWS // 4)],
            )


@pytest.fixture
def by_hand(monkeypatch: pytest.MonkeyPatch) -> WalCheckpointer:
    """The engines' checkpointer, without its thread: it checkpoints when told to."""
    checkpointer = WalCheckpointer(interval=None)
    monkeypatch.setattr(engine_module, "checkpointer", checkpointer)
    return checkpointer


def test_commits_leave_the_wal_to_the_checkpointer(
    tmp_path: Path, by_hand: WalCheckpointer
) -> None:
    path = tmp_path / "wal.db"
    engine = create_db_engine(f"sqlite:///{path}", immediate=False)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == 0
        _write_pages(engine)
        before = os.path.getsize(path)
        # Nothing copied by the commits: the rows are in the WAL only.
        assert before < 100 * 4096 < _PAGES_WRITTEN < os.path.getsize(f"{path}-wal")

        by_hand.run_once()

        assert by_hand.checkpoints == 1
        assert os.path.getsize(path) > _PAGES_WRITTEN
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM filler").scalar_one() == _ROWS
        by_hand.run_once()  # the WAL did not change since: no second checkpoint
        assert by_hand.checkpoints == 1
    finally:
        engine.dispose()


def test_a_replaced_file_is_checkpointed_and_a_removed_one_forgotten(
    tmp_path: Path, by_hand: WalCheckpointer
) -> None:
    path = tmp_path / "replaced.db"
    for round_ in range(2):
        engine = create_db_engine(f"sqlite:///{path}", immediate=False)
        try:
            _write_pages(engine)
            assert os.path.getsize(path) < _PAGES_WRITTEN
            by_hand.run_once()
            assert by_hand.checkpoints == round_ + 1
            assert os.path.getsize(path) > _PAGES_WRITTEN
        finally:
            engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    assert by_hand.watching == [str(path)]

    by_hand.run_once()

    assert by_hand.watching == []
    assert not path.exists()  # looking never creates the file again


def test_the_process_thread_checkpoints_an_engines_database(tmp_path: Path) -> None:
    path = tmp_path / "thread.db"
    engine = create_db_engine(f"sqlite:///{path}", immediate=False)
    try:
        _write_pages(engine)
        deadline = time.monotonic() + 10
        while os.path.getsize(path) < _PAGES_WRITTEN and time.monotonic() < deadline:
            time.sleep(0.05)
        assert os.path.getsize(path) > _PAGES_WRITTEN
    finally:
        engine.dispose()
