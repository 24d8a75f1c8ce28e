"""A test database put back to a known state between tests, in milliseconds.

Emptying every table took seconds on PostgreSQL (a TRUNCATE of 52 tables makes
new files for each table and index), and seeding the defaults again another few
hundred milliseconds on each database: most of a database test's time. Instead:

- `empty` finds the tables that hold rows (one query) and deletes only those, then
  puts every PostgreSQL sequence back to its start (what `RESTART IDENTITY` did);
- the seeded defaults are seeded once per database through the services, and
  `restore` copies those rows back afterwards (a raw copy: SQLite's stored values,
  PostgreSQL's binary COPY), with each sequence where seeding left it.

A test therefore starts from exactly the rows, ids and sequence values that
emptying and seeding would give it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Engine

from leadflow.bootstrap import all_tables

metadata = all_tables()

# Above this many rows a table is truncated rather than deleted from (a DELETE
# leaves dead rows that the next test's probe would have to read past).
TRUNCATE_ABOVE = 1000


def _tables() -> list[str]:
    return [table.name for table in metadata.sorted_tables]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def row_counts(connection: Connection) -> dict[str, int]:
    """Tables holding rows, in dependency order (parents first), each with its row
    count capped at TRUNCATE_ABOVE + 1: one query."""
    probe = " UNION ALL ".join(
        f"SELECT '{name}', (SELECT count(*) FROM (SELECT 1 FROM {_quote(name)} "
        f"LIMIT {TRUNCATE_ABOVE + 1}) AS probe)"
        for name in _tables()
    )
    counts = {str(name): int(count) for name, count in connection.exec_driver_sql(probe)}
    return {name: counts[name] for name in _tables() if counts.get(name)}


def _reset_sequences(connection: Connection) -> None:
    connection.exec_driver_sql(
        "SELECT setval(quote_ident(schemaname) || '.' || quote_ident(sequencename),"
        " start_value, false) FROM pg_sequences WHERE schemaname = current_schema()"
    )


def no_flush_on_commit(database: str) -> str:
    """A commit on this throwaway database does not wait for its WAL to reach the disk
    (a few ms each, thousands of commits a run). What a commit makes visible, and when,
    is unchanged: only a crash of the PostgreSQL server itself could lose the last
    commits, and no test crashes it."""
    return f'ALTER DATABASE "{database}" SET synchronous_commit = off'


def empty_tables_on(connection: Connection) -> None:
    """Delete every row of the application's tables, and on PostgreSQL start each
    sequence again, inside the connection's transaction."""
    counts = row_counts(connection)
    postgres = connection.dialect.name == "postgresql"
    big = [name for name, count in counts.items() if count > TRUNCATE_ABOVE]
    if postgres and big:
        connection.exec_driver_sql(f"TRUNCATE {', '.join(map(_quote, big))} CASCADE")
    for name in reversed(list(counts)):
        if not (postgres and name in big):
            connection.exec_driver_sql(f"DELETE FROM {_quote(name)}")
    if postgres:
        _reset_sequences(connection)


def empty(engine: Engine) -> None:
    with engine.begin() as connection:
        empty_tables_on(connection)


@dataclass(frozen=True)
class Snapshot:
    """The rows of the tables that held any, in dependency order, and (PostgreSQL)
    every sequence's value: SQLite rows as stored, PostgreSQL binary COPY data."""

    tables: list[tuple[str, list[tuple[Any, ...]] | bytes]]
    sequences: list[tuple[str, int, bool]]


def _driver(connection: Connection) -> Any:
    return connection.connection.driver_connection


def take_snapshot(engine: Engine) -> Snapshot:
    with engine.begin() as connection:
        tables: list[tuple[str, list[tuple[Any, ...]] | bytes]] = []
        sequences: list[tuple[str, int, bool]] = []
        names = list(row_counts(connection))
        if connection.dialect.name == "postgresql":
            cursor = _driver(connection).cursor()
            for name in names:
                data = bytearray()
                with cursor.copy(f"COPY {_quote(name)} TO STDOUT (FORMAT BINARY)") as copy:
                    for chunk in copy:
                        data += chunk
                tables.append((name, bytes(data)))
            cursor.close()
            sequences = [
                (str(name), int(value), bool(called))
                for name, value, called in connection.exec_driver_sql(
                    "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename),"
                    " coalesce(last_value, start_value), last_value IS NOT NULL"
                    " FROM pg_sequences WHERE schemaname = current_schema()"
                )
            ]
        else:
            for name in names:
                rows = connection.exec_driver_sql(f"SELECT * FROM {_quote(name)}")
                tables.append((name, [tuple(row) for row in rows]))
        return Snapshot(tables, sequences)


def restore(engine: Engine, snapshot: Snapshot) -> None:
    """Empty the tables, then put the snapshot's rows and sequence values back."""
    with engine.begin() as connection:
        empty_tables_on(connection)
        if connection.dialect.name == "postgresql":
            cursor = _driver(connection).cursor()
            for name, data in snapshot.tables:
                with cursor.copy(f"COPY {_quote(name)} FROM STDIN (FORMAT BINARY)") as copy:
                    copy.write(cast(bytes, data))
            cursor.close()
            _set_sequences(connection, snapshot.sequences)
        else:
            raw = _driver(connection)
            for name, rows in snapshot.tables:
                rows = cast(list[tuple[Any, ...]], rows)
                marks = ", ".join("?" for _ in rows[0])
                raw.executemany(f"INSERT INTO {_quote(name)} VALUES ({marks})", rows)


def _set_sequences(connection: Connection, sequences: Sequence[tuple[str, int, bool]]) -> None:
    if not sequences:
        return
    calls = ", ".join(
        f"setval('{name.replace(chr(39), chr(39) * 2)}', {value}, {'true' if called else 'false'})"
        for name, value, called in sequences
    )
    connection.exec_driver_sql(f"SELECT {calls}")
