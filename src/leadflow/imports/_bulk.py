"""Bulk writes below the ORM: ids taken first, rows handed to the driver (COPY on
PostgreSQL, one executemany on SQLite), the chunk's events and error records."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
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

from leadflow.accounts.events import AccountCreated
from leadflow.bus import Event
from leadflow.contacts.events import ContactsCreated
from leadflow.db.uow import UnitOfWork
from leadflow.imports._plan import RowResult
from leadflow.imports.domain import (
    Outcome,
    ParsedRow,
)
from leadflow.imports.models import ImportRowError
from leadflow.leads.events import LeadsCreated
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
    # The sequence is looked up once (a materialised CTE): pg_get_serial_sequence in
    # the SELECT list ran once per id, a catalog lookup each (7.6 against 0.75 us an id).
    rows = session.connection().exec_driver_sql(
        "WITH s AS MATERIALIZED (SELECT CAST(pg_get_serial_sequence(%(table)s, 'id') "
        "AS regclass) AS seq) "
        "SELECT nextval(s.seq) FROM s, generate_series(1, %(count)s)",
        {"table": table.name, "count": count},
    )
    return [int(value) for (value,) in rows]


@dataclass(frozen=True)
class Created:
    """The `kind(field=id)` events of many new records (LeadCreated(lead_id=...)):
    their outbox rows are written from the ids, without an event object each."""

    kind: type[Event]
    field: str
    ids: Sequence[int]


def created_event(entity: str, ids: Sequence[int]) -> Event | Created:
    """What a chunk's new records of an entity publish: leads and contacts one event for
    the chunk (`LeadsCreated`, `ContactsCreated`: the handlers take it apart), accounts
    (a small import, and no handler of many at once) an event each."""
    if entity == "lead":
        return LeadsCreated(lead_ids=tuple(ids))
    if entity == "contact":
        return ContactsCreated(contact_ids=tuple(ids))
    return Created(AccountCreated, "account_id", ids)


def write_events(session: Session, uow: UnitOfWork, events: Sequence[Event | Created]) -> None:
    """Events straight into the outbox (COPY on PostgreSQL, one driver executemany on
    SQLite), in order, ids taken first; the unit wakes the relay for them after its
    commit."""
    kinds: list[str] = []
    payloads: list[str] = []
    subjects: list[str | None] = []
    for item in events:
        if isinstance(item, Created):
            if item.ids:
                kind, payload, subject = _created_rows(item)
                kinds.extend([kind] * len(item.ids))
                payloads.extend(payload)
                subjects.extend(subject)
            continue
        kinds.append(item.name)
        payloads.append(_JSON(item.to_payload()))
        subjects.append(event_subject(item))
    if not kinds:
        return
    ids = next_ids(session, _OUTBOX, len(kinds))
    # Depth and time as `outbox_rows` gives every row of this unit.
    template = outbox_rows([Event()])[0]
    insert_columns(
        session,
        _OUTBOX,
        {"id": ids, "event_type": kinds, "payload": payloads, "subject": subjects},
        same={name: template[name] for name in ("depth", "created_at", "attempts")},
        encoded=("payload",),
    )
    uow.published_in_bulk(ids, {subject for subject in subjects if subject})


_JSON = json.JSONEncoder().encode


def _created_rows(group: Created) -> tuple[str, list[str], list[str | None]]:
    """The event type, payloads and subjects of a `Created` group: the same as its
    events' own (`to_payload`, `event_subject`), which the first event checks."""
    sample = group.kind(**{group.field: group.ids[0]})
    prefix = group.field.removesuffix("_id")
    if sample.to_payload() != {group.field: group.ids[0]} or event_subject(sample) != (
        f"{prefix}:{group.ids[0]}"
    ):
        raise ValueError(f"{group.kind.__name__} is not one id: write its events one by one")
    head = f'{{"{group.field}": '
    payloads = [f"{head}{int(record_id)}}}" for record_id in group.ids]
    subjects: list[str | None] = [f"{prefix}:{record_id}" for record_id in group.ids]
    return sample.name, payloads, subjects


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
    names = list(rows[0])
    insert_columns(session, table, {name: [row[name] for row in rows] for name in names})


def insert_columns(
    session: Session,
    table: Table,
    columns: Mapping[str, Sequence[Any]],
    *,
    same: Mapping[str, Any] | None = None,
    encoded: Collection[str] = (),
) -> None:
    """`fast_insert` of rows given column by column (each the rows' values in order),
    `same` the columns holding one value in every row: a chunk's rows are built as
    columns, without a dict per row. `encoded` columns hold JSON text already (their
    processor is skipped)."""
    lengths = {len(values) for values in columns.values()}
    if not lengths or lengths == {0}:
        return
    (count,) = lengths
    connection = session.connection()
    dialect = connection.dialect
    constant = dict(same or {})
    names = [*columns, *constant]
    values: list[Sequence[Any]] = []
    # Column by column: most columns need no processing (text, numbers), and most
    # processed ones repeat one value down the chunk (the time, a default, {}).
    for name in names:
        processor = None if name in encoded else table.c[name].type._cached_bind_processor(dialect)
        if name in constant:
            one = constant[name]
            values.append([processor(one) if processor and one is not None else one] * count)
        elif processor is not None:
            values.append(_processed(list(columns[name]), processor))
        else:
            values.append(columns[name])
    params = list(zip(*values, strict=True))
    quote = dialect.identifier_preparer.quote
    if dialect.name == "postgresql":
        # COPY: the rows stream in one command, no statement per row.
        driver = connection.connection.driver_connection
        listed = ", ".join(quote(name) for name in names)
        statement = f"COPY {quote(table.name)} ({listed}) FROM STDIN"
        with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
            for row_values in params:
                copy.write_row(row_values)
        return
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name in names)}) "
        f"VALUES ({', '.join([mark] * len(names))})"
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
