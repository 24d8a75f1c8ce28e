"""Bulk writers: SQLite `executemany` and PostgreSQL `COPY`, one transaction per chunk.

They take a connection of their own from the engine and detach it from the
pool: the load relaxes settings (no foreign key checks, no fsync on SQLite;
asynchronous commit on PostgreSQL) that must not leak to the application's
connections.

Filling an empty table, the secondary indexes are dropped first and built
again at the end (from their stored definitions): one sort per index instead
of millions of random B-tree inserts halves the load time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, cast

from sqlalchemy import Engine

Row = tuple[Any, ...]


Index = tuple[str, str]  # (name, CREATE INDEX statement)


class BulkWriter(Protocol):
    # Appended to datetime text: SQLite keeps naive UTC, PostgreSQL is told it is UTC.
    time_suffix: str

    def max_id(self, table: str) -> int: ...

    def drop_indexes(self, table: str) -> list[Index]: ...

    def create_indexes(self, indexes: list[Index]) -> None: ...

    def ids(self, sql: str) -> list[int]: ...

    def write(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None: ...

    def finish(self, tables: Sequence[str]) -> None: ...

    def close(self) -> None: ...


class SQLiteWriter:
    time_suffix = ""

    def __init__(self, engine: Engine) -> None:
        self._proxy = engine.raw_connection()
        self._db: Any = cast(Any, self._proxy.driver_connection)
        self._proxy.detach()
        # Rows are generated consistent, so the per-row foreign key lookups only
        # cost time; a large page cache keeps the random index inserts in memory.
        self._db.execute("PRAGMA foreign_keys=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("PRAGMA cache_size=-1048576")

    def max_id(self, table: str) -> int:
        return int(self._db.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0])

    def ids(self, sql: str) -> list[int]:
        return [int(row[0]) for row in self._db.execute(sql).fetchall()]

    def drop_indexes(self, table: str) -> list[Index]:
        # Indexes behind PRIMARY KEY / UNIQUE have no SQL of their own and stay.
        indexes: list[Index] = self._db.execute(
            "SELECT name, sql FROM sqlite_master "
            "WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name",
            (table,),
        ).fetchall()
        for name, _ in indexes:
            self._db.execute(f'DROP INDEX "{name}"')
        return [(str(name), str(sql)) for name, sql in indexes]

    def create_indexes(self, indexes: list[Index]) -> None:
        for _, sql in indexes:
            self._db.execute(sql)

    def write(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        marks = ", ".join("?" * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany(sql, rows)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def finish(self, tables: Sequence[str]) -> None:
        for table in tables:
            self._db.execute(f"ANALYZE {table}")

    def close(self) -> None:
        self._proxy.close()


class PostgresWriter:
    time_suffix = "+00"

    def __init__(self, engine: Engine) -> None:
        self._proxy = engine.raw_connection()
        self._db: Any = cast(Any, self._proxy.driver_connection)
        self._proxy.detach()
        with self._db.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
            cursor.execute("SET maintenance_work_mem = '512MB'")
        self._db.commit()

    def max_id(self, table: str) -> int:
        with self._db.cursor() as cursor:
            cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
            value = int(cursor.fetchone()[0])
        self._db.commit()
        return value

    def ids(self, sql: str) -> list[int]:
        with self._db.cursor() as cursor:
            cursor.execute(sql)
            values = [int(row[0]) for row in cursor.fetchall()]
        self._db.commit()
        return values

    def drop_indexes(self, table: str) -> list[Index]:
        # Indexes that back a constraint (primary key, unique) stay.
        with self._db.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = current_schema() AND tablename = %s "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint "
                "WHERE conrelid = %s::regclass) ORDER BY indexname",
                (table, table),
            )
            indexes = [(str(name), str(sql)) for name, sql in cursor.fetchall()]
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
        self._db.commit()
        return indexes

    def create_indexes(self, indexes: list[Index]) -> None:
        with self._db.cursor() as cursor:
            for _, sql in indexes:
                cursor.execute(sql)
        self._db.commit()

    def write(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        try:
            with self._db.cursor() as cursor, cursor.copy(statement) as copy:
                write_row = copy.write_row
                for row in rows:
                    write_row(row)
        except BaseException:
            self._db.rollback()
            raise
        self._db.commit()

    def finish(self, tables: Sequence[str]) -> None:
        with self._db.cursor() as cursor:
            for table in tables:
                # Ids were given explicitly; the sequence must move past them.
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                )
            self._db.commit()
            for table in tables:
                cursor.execute(f"ANALYZE {table}")
            self._db.commit()

    def close(self) -> None:
        self._proxy.close()


def open_writer(engine: Engine) -> BulkWriter:
    name = engine.dialect.name
    if name == "sqlite":
        return SQLiteWriter(engine)
    if name == "postgresql":
        return PostgresWriter(engine)
    raise ValueError(f"bulk generation supports SQLite and PostgreSQL, not {name}")
