"""What every SQLite connection, the write engine's and the read engine's, is set to
(db/engine.py)."""

from __future__ import annotations

import pytest

from leadflow.bootstrap import Container
from leadflow.db.engine import PAGE_CACHE_KIB

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


def test_both_engines_keep_sqlites_default_small_page_cache(container: Container) -> None:
    # 2 MB, not the 128 MiB it was: emptied after every other connection's commit, a
    # large cache cost more than it saved (the measurements are beside PAGE_CACHE_KIB).
    assert container.read_engine is not container.engine
    assert PAGE_CACHE_KIB == 2000
    for read in (False, True):
        assert _pragma(container, "cache_size", read=read) == -PAGE_CACHE_KIB
