"""What each index on `leads` costs an import's insert, index by index.

A copy of the leads table without any index gets N rows the way the import writes
them (executemany on SQLite, COPY on PostgreSQL, a commit per 5,000 rows), then
again with one of the real table's indexes at a time (its own DDL, read back from
the migrated database). An index's cost is its run less the index-free one; the
primary key is in every run. Best of `--repeat` runs each.

    .venv/bin/python bench/import_indexes.py --rows 50000
    .venv/bin/python bench/import_indexes.py --rows 50000 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from leadflow.db.migrate import upgrade
from scratch import scratch_database

PROBE = "bench_leads_probe"
COLUMNS = [
    *("id", "topic", "first_name", "last_name", "email", "email_normalized", "company_name"),
    *("status", "status_reason", "source", "parent_contact_id", "custom"),
    *("sales_ready", "telemarketing_ready", "telemarketing_accepted", "sales_accepted"),
    *("created_at", "updated_at"),
]
CHUNK = 5000


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="leadflow-bench-indexes-") as folder,
        scratch_database(args.database_url, Path(folder)) as url,
    ):
        upgrade(url)
        engine = create_engine(url)
        indexes = _lead_indexes(engine)
        rows = _rows(args.rows)
        bare = min(_timed(engine, rows, []) for _ in range(args.repeat))
        print(f"load average: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
        print(f"database: {engine.dialect.name}; rows: {args.rows}")
        print(f"{'no index (primary key only)':44} {bare:6.2f} s")
        total = 0.0
        for name, ddl in indexes:
            took = min(_timed(engine, rows, [ddl]) for _ in range(args.repeat))
            total += took - bare
            print(f"{name:44} {took:6.2f} s  (+{took - bare:5.2f} s)")
        print(f"{'sum of the indexes cost':44} {total:6.2f} s")
        every = min(_timed(engine, rows, [ddl for _, ddl in indexes]) for _ in range(args.repeat))
        print(f"{'all of them together':44} {every:6.2f} s  (+{every - bare:5.2f} s)")
        engine.dispose()
    return 0


def _lead_indexes(engine: Engine) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of each index on leads but the primary key."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            found = connection.execute(
                text(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                    "AND tbl_name = 'leads' AND sql IS NOT NULL ORDER BY name"
                )
            ).all()
        else:
            found = connection.execute(
                text(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'leads' "
                    "AND indexname <> 'pk_leads' ORDER BY indexname"
                )
            ).all()
    return [(str(name), str(ddl)) for name, ddl in found]


def _rows(count: int) -> list[tuple[object, ...]]:
    now = datetime.now(UTC).replace(tzinfo=None)
    return [
        (
            index + 1,
            f"Topic {index % 50}",
            f"F{index}",
            f"L{index}",
            f"new{index}@bench.example",
            f"new{index}@bench.example",
            "Bench Ltd",
            "open",
            "new",
            "import",
            index + 1,
            "{}",
            False,
            False,
            False,
            False,
            now,
            now,
        )
        for index in range(count)
    ]


def _timed(engine: Engine, rows: list[tuple[object, ...]], ddls: list[str]) -> float:
    """Seconds to insert the rows into a fresh copy of leads with these indexes."""
    with engine.begin() as connection:
        connection.execute(text(f"DROP TABLE IF EXISTS {PROBE}"))
        if engine.dialect.name == "sqlite":
            # The table's own DDL: `id INTEGER PRIMARY KEY` is the rowid, as in leads
            # (foreign keys are not enforced on this connection).
            table_ddl = connection.scalar(
                text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'leads'")
            )
            connection.execute(text(str(table_ddl).replace("leads", PROBE, 1)))
        else:
            connection.execute(text(f"CREATE TABLE {PROBE} (LIKE leads INCLUDING DEFAULTS)"))
            connection.execute(text(f"ALTER TABLE {PROBE} ADD PRIMARY KEY (id)"))
        for ddl in ddls:
            probe_ddl = ddl.replace(" ON leads ", f" ON {PROBE} ")
            probe_ddl = probe_ddl.replace(" ON public.leads ", f" ON {PROBE} ")
            probe_ddl = probe_ddl.replace(' ON "leads" ', f" ON {PROBE} ")
            name = probe_ddl.split(" ON ")[0].split()[-1]
            connection.execute(text(probe_ddl.replace(name, f"{name}_probe", 1)))
    started = time.perf_counter()
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        with engine.begin() as connection:
            if engine.dialect.name == "sqlite":
                marks = ", ".join("?" * len(COLUMNS))
                connection.exec_driver_sql(
                    f"INSERT INTO {PROBE} ({', '.join(COLUMNS)}) VALUES ({marks})", chunk
                )
            else:
                driver = connection.connection.driver_connection
                statement = f"COPY {PROBE} ({', '.join(COLUMNS)}) FROM STDIN"
                with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
                    for row in chunk:
                        copy.write_row(row)
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
