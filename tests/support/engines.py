"""The engines of a test worker's own databases, kept open from test to test.

Every test builds its own Container, and a Container builds its engines. On
PostgreSQL a new engine meant new server connections, each a new backend whose
catalog caches start cold: every test's first statements were planned from
scratch (the database reset's probe took 27 ms on a new connection, 8 on a used
one), and connecting cost another 14 ms. Setting up and resetting a PostgreSQL
test took about 130 ms, most of it that.

So the engines of the worker's two test databases (`sqlite_database`,
`postgres_database`) are made once per process and kept: a Container built on
one of those URLs gets the kept engine, and `Container.close()` leaves its pool
open for the next test. A production process builds one Container and keeps it
for its life, so this is the shape the product runs in. Any other URL (a
migration test's fresh database, a subprocess's own) gets engines of its own,
closed as before.

A test that adds an event listener to a kept engine removes it again.
"""

from __future__ import annotations

from sqlalchemy import Engine

from leadflow import bootstrap
from leadflow.db.engine import create_db_engine

_kept_urls: set[str] = set()
_kept: dict[tuple[str, bool, bool], Engine] = {}


def keep_engines_of(url: str) -> None:
    """Containers built on `url` from now on share its engines (until `close_kept`)."""
    _kept_urls.add(url)


def _kept_open(close: bool = True) -> None:
    """`dispose()` of a kept engine: its pool stays open for the next test."""


def _engine_for(url: str, *, echo: bool = False, immediate: bool = True) -> Engine:
    if url not in _kept_urls:
        return create_db_engine(url, echo=echo, immediate=immediate)
    key = (url, echo, immediate)
    engine = _kept.get(key)
    if engine is None:
        engine = create_db_engine(url, echo=echo, immediate=immediate)
        engine.dispose = _kept_open  # type: ignore[method-assign]
        _kept[key] = engine
    return engine


def close_kept(url: str) -> None:
    """Really close `url`'s kept engines (before its database is dropped)."""
    _kept_urls.discard(url)
    for key in [key for key in _kept if key[0] == url]:
        Engine.dispose(_kept.pop(key))


def install() -> None:
    """Containers get their engines through `_engine_for` in this process."""
    bootstrap.create_db_engine = _engine_for  # type: ignore[attr-defined]
