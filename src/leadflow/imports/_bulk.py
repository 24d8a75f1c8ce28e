"""Bulk writes below the ORM: ids taken first, rows handed to the driver (COPY on
PostgreSQL, one executemany on SQLite), the chunk's events and error records."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    String,
    Table,
    any_,
    bindparam,
    func,
    select,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from leadflow.bus import Event
from leadflow.db.uow import UnitOfWork
from leadflow.imports._plan import RowResult
from leadflow.imports.domain import (
    Outcome,
    ParsedRow,
)
from leadflow.imports.models import ImportRowError
from leadflow.outbox import OutboxMessage, event_subject, outbox_rows

_OUTBOX = cast(Table, OutboxMessage.__table__)
_ERRORS = cast(Table, ImportRowError.__table__)


def one_of(session: Session, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """`column IN values`; on PostgreSQL `= ANY(array)`: one parameter instead of a
    thousand, so the driver does not parse a long statement on every chunk."""
    items = list(values)
    if session.get_bind().dialect.name != "postgresql" or not items:
        return cast(ColumnElement[bool], column.in_(items))
    kind = BigInteger() if isinstance(items[0], int) else String()
    array = bindparam(None, items, type_=postgresql.ARRAY(kind))
    return cast(ColumnElement[bool], column == any_(array))


def next_ids(session: Session, table: Table, count: int) -> list[int]:
    """Ids for new rows, known before the insert so it needs no RETURNING."""
    if session.get_bind().dialect.name == "sqlite":
        # The unit holds SQLite's write lock: nobody else takes ids meanwhile.
        start = int(session.scalar(select(func.max(table.c.id))) or 0) + 1
        return list(range(start, start + count))
    rows = session.connection().exec_driver_sql(
        "SELECT nextval(pg_get_serial_sequence(%(table)s, 'id')) "
        "FROM generate_series(1, %(count)s)",
        {"table": table.name, "count": count},
    )
    return [int(value) for (value,) in rows]


def write_events(session: Session, uow: UnitOfWork, events: Sequence[Event]) -> None:
    """Events straight into the outbox (COPY on PostgreSQL, one driver executemany on
    SQLite), ids taken first; the unit wakes the relay for them after its commit."""
    if not events:
        return
    rows = outbox_rows(events)
    ids = next_ids(session, _OUTBOX, len(rows))
    for record_id, row in zip(ids, rows, strict=True):
        row["id"] = record_id
    fast_insert(session, _OUTBOX, rows)
    subjects = {subject for item in events if (subject := event_subject(item))}
    uow.published_in_bulk(ids, subjects)


def write_errors(
    session: Session, import_id: int, rows: Sequence[ParsedRow], results: Sequence[RowResult]
) -> None:
    """The error records of a chunk's bad rows and conflicts, in one insert."""
    payload: list[dict[str, Any]] = []
    by_line = {row.line: row for row in rows}
    for result in results:
        if result.outcome not in (Outcome.ERROR, Outcome.CONFLICT):
            continue
        row = by_line[result.line]
        errors = row.errors or ([result.error] if result.error else [])
        for error in errors:
            payload.append(
                {
                    "import_id": import_id,
                    "line": row.line,
                    "column": error.column,
                    "code": error.code,
                    "message": error.message,
                    "row": list(row.raw),
                }
            )
    if payload:
        fast_insert(session, _ERRORS, payload)


_UNSET = object()


def column_defaults(table: Table) -> dict[str, Any]:
    """The columns' Python-side defaults (a value, or a callable making one)."""
    defaults: dict[str, Any] = {}
    for column in table.c:
        default = column.default
        if default is None or column.primary_key:
            continue
        arg = getattr(default, "arg", None)
        if getattr(default, "is_callable", False):
            defaults[column.name] = lambda arg=arg: arg(None)
        elif getattr(default, "is_scalar", False):
            defaults[column.name] = arg
    return defaults


def fast_insert(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """A multi-row insert handed to the driver as is (executemany): the values go
    through the columns' own bind processors once, without SQLAlchemy's per-row
    parameter machinery, which costs more than the insert itself at this volume."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    columns = list(rows[0])
    # Column by column: most columns need no processing (text, numbers), and most
    # processed ones repeat one value down the chunk (the time, a default, {}).
    values = [[row[name] for row in rows] for name in columns]
    for index, name in enumerate(columns):
        processor = table.c[name].type._cached_bind_processor(dialect)
        if processor is not None:
            values[index] = _processed(values[index], processor)
    params = list(zip(*values, strict=True))
    quote = dialect.identifier_preparer.quote
    if dialect.name == "postgresql":
        # COPY: the rows stream in one command, no statement per row.
        driver = connection.connection.driver_connection
        names = ", ".join(quote(name) for name in columns)
        statement = f"COPY {quote(table.name)} ({names}) FROM STDIN"
        with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
            for row_values in params:
                copy.write_row(row_values)
        return
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name in columns)}) "
        f"VALUES ({', '.join([mark] * len(columns))})"
    )
    connection.exec_driver_sql(sql, params)


def _processed(column: list[Any], processor: Callable[[Any], Any]) -> list[Any]:
    last_in: Any = _UNSET
    last_out: Any = None
    out: list[Any] = []
    for value in column:
        if value is None:
            out.append(None)
        elif value is last_in or (type(value) is type(last_in) and value == last_in):
            out.append(last_out)
        else:
            last_in, last_out = value, processor(value)
            out.append(last_out)
    return out
