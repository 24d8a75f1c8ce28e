"""What every SQLite connection is set to, and the page cache that differs between the
write engine and the read one (db/engine.py: WRITE_CACHE_KIB, READ_CACHE_KIB)."""

from __future__ import annotations

import pytest

from leadflow.bootstrap import Container
from leadflow.db.engine import READ_CACHE_KIB, WRITE_CACHE_KIB

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _pragma(container: Container, name: str, *, read: bool) -> object:
    engine = container.read_engine if read else container.engine
    with engine.connect() as connection:
        return connection.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_both_engines_write_ahead_with_foreign_keys_and_no_checkpoint_in_a_commit(
    container: Container,
) -> None:
    for read in (False, True):
        assert _pragma(container, "journal_mode", read=read) == "wal"
        assert _pragma(container, "foreign_keys", read=read) == 1
        assert _pragma(container, "synchronous", read=read) == 1  # NORMAL
        assert _pragma(container, "wal_autocheckpoint", read=read) == 0


def test_reads_keep_a_small_page_cache_and_writes_a_large_one(container: Container) -> None:
    assert container.read_engine is not container.engine
    assert _pragma(container, "cache_size", read=True) == -READ_CACHE_KIB
    assert _pragma(container, "cache_size", read=False) == -WRITE_CACHE_KIB
    assert READ_CACHE_KIB < WRITE_CACHE_KIB
