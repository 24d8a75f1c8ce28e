"""What several benchmarks share: a database of their own, thrown away afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextmanager
def scratch_database(server_url: str | None, var_dir: Path) -> Iterator[str]:
    """A fresh SQLite file under `var_dir`, or a fresh database on the given PostgreSQL
    server, dropped when the benchmark ends."""
    if server_url is None:
        yield f"sqlite:///{var_dir / 'bench.db'}"
        return
    base = make_url(server_url)
    name = f"leadflow_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
